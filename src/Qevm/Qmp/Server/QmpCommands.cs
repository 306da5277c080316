using System.Text.Json;
using Qevm.Engine;

namespace Qevm.Qmp.Server;

/// <summary>
/// The commands the server offers, over the hosted registry and a run state, with QEMU 7.2's arguments, results
/// and errors (<c>qapi/qmp-dispatch.c</c>, <c>migration/savevm.c: qmp_xen_save_devices_state</c>, ...). One lock
/// (the device lock) guards the registry and the run state; it is held while state is copied in or out, never
/// while a file is opened, read or written, so a slow file (a FIFO, a network mount) holds up only its own client.
/// Events are handed to <paramref name="publish"/> under the lock, so every client sees them in the order the state
/// changed; <paramref name="publish"/> must not block.
/// </summary>
internal sealed class QmpCommands(SaveStateRegistry registry, QmpServerOptions options, Action<QmpEvent> publish)
{
    public static readonly string[] Names =
        ["qmp_capabilities", "query-version", "query-commands", "query-status", "stop", "cont", "xen-save-devices-state", "xen-load-devices-state", "quit"];

    private readonly Lock _machine = new();
    private bool _running = !options.StartPaused;

    public bool Running
    {
        get
        {
            lock (_machine) return _running;
        }
    }

    /// <summary>Runs <paramref name="name"/>; returns the writer of its <c>return</c> value.</summary>
    public Action<Utf8JsonWriter> Execute(string name, JsonElement arguments) => name switch
    {
        "xen-save-devices-state" => SaveDevices(arguments),
        "xen-load-devices-state" => LoadDevices(arguments),
        _ => ExecuteLocked(name, arguments),
    };

    private Action<Utf8JsonWriter> ExecuteLocked(string name, JsonElement arguments)
    {
        lock (_machine) return ExecuteSimple(name, arguments);
    }

    private Action<Utf8JsonWriter> ExecuteSimple(string name, JsonElement arguments) => name switch
    {
        "query-version" => NoArguments(arguments, Version),
        "query-commands" => NoArguments(arguments, static w =>
        {
            w.WriteStartArray();
            foreach (var n in Names)
            {
                w.WriteStartObject();
                w.WriteString("name", n);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }),
        "query-status" => NoArguments(arguments, _running, static (running, w) =>
        {
            w.WriteStartObject();
            w.WriteString("status", running ? "running" : "paused");
            w.WriteBoolean("singlestep", false);
            w.WriteBoolean("running", running);
            w.WriteEndObject();
        }),
        "stop" => NoArguments(arguments, Stop),
        "cont" => NoArguments(arguments, Start),
        _ => throw new QmpCommandError(QmpCommandError.CommandNotFound, $"The command {name} has not been found"),
    };

    public void Version(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("qemu");
        w.WriteNumber("micro", options.QemuVersion.Micro);
        w.WriteNumber("minor", options.QemuVersion.Minor);
        w.WriteNumber("major", options.QemuVersion.Major);
        w.WriteEndObject();
        w.WriteString("package", options.Package);
        w.WriteEndObject();
    }

    public static void Empty(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteEndObject();
    }

    // vm_stop: a STOP event only when it was running.
    private void Stop()
    {
        if (!_running) return;
        _running = false;
        publish(QmpEvent.Now("STOP"));
    }

    // vm_start (7.2 vm_prepare_start): nothing when already running.
    private void Start()
    {
        if (_running) return;
        _running = true;
        publish(QmpEvent.Now("RESUME"));
    }

    // qmp_xen_save_devices_state: stop, save, resume if it was running (also after an error). The devices are
    // encoded into memory under the lock (the stop, the copy and the resume are one step for the other clients);
    // the file is written after, outside it.
    private Action<Utf8JsonWriter> SaveDevices(JsonElement arguments)
    {
        var args = new QmpArguments(arguments);
        string filename = args.RequiredString("filename");
        args.OptionalBool("live");
        args.CheckNoOthers();
        string path = Confined(filename);
        var image = new MemoryStream();
        lock (_machine)
        {
            bool wasRunning = _running;
            Stop();
            try
            {
                registry.SaveDeviceState(image, options.Save);
            }
            finally
            {
                if (wasRunning) Start();
            }
        }
        try
        {
            AtomicFile.Write(path, s => image.WriteTo(s));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw QmpCommandError.Generic($"Unable to open {filename}: {Strerror(e)}");
        }
        return Empty;
    }

    // QmpServerOptions.FileDirectory: a name is taken in that folder, and one that leaves it is not opened.
    private string Confined(string filename)
    {
        if (options.FileDirectory is not { } dir) return filename;
        string root = Path.GetFullPath(dir);
        string path;
        try
        {
            path = Path.GetFullPath(Path.Combine(root, filename));
        }
        catch (ArgumentException)
        {
            throw QmpCommandError.Generic($"Unable to open {filename}: Invalid argument");
        }
        if (!path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw QmpCommandError.Generic($"Unable to open {filename}: Permission denied");
        return path;
    }

    // qmp_xen_load_devices_state: refused while running; a failed load changes no device. The file is read into
    // memory outside the lock; the devices are staged and committed from that copy under it.
    private Action<Utf8JsonWriter> LoadDevices(JsonElement arguments)
    {
        var args = new QmpArguments(arguments);
        string filename = args.RequiredString("filename");
        args.CheckNoOthers();
        string path = Confined(filename);
        lock (_machine)
        {
            if (_running) throw RunningRefused();
        }
        var image = new MemoryStream();
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw QmpCommandError.Generic($"Unable to open {filename}: {Strerror(e)}");
        }
        try
        {
            using (file) CopyAtMost(file, image, options.Load.MaxLength + 1);
        }
        catch (IOException e)
        {
            throw QmpCommandError.Generic("An IO error has occurred: " + e.Message);
        }
        image.Position = 0;
        lock (_machine)
        {
            // Another client may have resumed the guest while the file was read.
            if (_running) throw RunningRefused();
            try
            {
                registry.LoadDeviceState(image, options.Load);
            }
            catch (VmStateFormatException e)
            {
                // QEMU 7.2 answers QERR_IO_ERROR and prints the cause on stderr; the cause is given here too.
                throw QmpCommandError.Generic("An IO error has occurred: " + e.Message);
            }
            catch (IOException e)
            {
                throw QmpCommandError.Generic("An IO error has occurred: " + e.Message);
            }
        }
        return Empty;
    }

    private static QmpCommandError RunningRefused() => QmpCommandError.Generic("Cannot update device state while vm is running");

    // The loader refuses inputs above its limit; one byte more than the limit is enough for it to say so.
    private static void CopyAtMost(Stream from, MemoryStream to, long limit)
    {
        var buffer = new byte[1 << 16];
        while (to.Length < limit)
        {
            int n = from.Read(buffer, 0, (int)Math.Min(buffer.Length, limit - to.Length));
            if (n == 0) return;
            to.Write(buffer, 0, n);
        }
    }

    private static Action<Utf8JsonWriter> NoArguments<T>(JsonElement arguments, T state, Action<T, Utf8JsonWriter> result)
    {
        new QmpArguments(arguments).CheckNoOthers();
        return w => result(state, w);
    }

    private static Action<Utf8JsonWriter> NoArguments(JsonElement arguments, Action<Utf8JsonWriter> result)
    {
        new QmpArguments(arguments).CheckNoOthers();
        return result;
    }

    private static Action<Utf8JsonWriter> NoArguments(JsonElement arguments, Action run)
    {
        new QmpArguments(arguments).CheckNoOthers();
        run();
        return Empty;
    }

    private static string Strerror(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };
}
