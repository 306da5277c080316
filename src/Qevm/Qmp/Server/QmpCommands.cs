using System.Text.Json;
using Qevm.Engine;

namespace Qevm.Qmp.Server;

/// <summary>
/// The commands the server offers, over the hosted registry and a run state, with QEMU 7.2's arguments, results
/// and errors (<c>qapi/qmp-dispatch.c</c>, <c>migration/savevm.c: qmp_xen_save_devices_state</c>, ...). Callers
/// serialise calls (one lock for all connections).
/// </summary>
internal sealed class QmpCommands(SaveStateRegistry registry, QmpServerOptions options)
{
    public static readonly string[] Names =
        ["qmp_capabilities", "query-version", "query-commands", "query-status", "stop", "cont", "xen-save-devices-state", "xen-load-devices-state", "quit"];

    public bool Running { get; private set; } = !options.StartPaused;

    /// <summary>Runs <paramref name="name"/>; returns the writer of its <c>return</c> value and adds the events it caused.</summary>
    public Action<Utf8JsonWriter> Execute(string name, JsonElement arguments, List<QmpEvent> events) => name switch
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
        "query-status" => NoArguments(arguments, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", Running ? "running" : "paused");
            w.WriteBoolean("singlestep", false);
            w.WriteBoolean("running", Running);
            w.WriteEndObject();
        }),
        "stop" => NoArguments(arguments, () => Stop(events)),
        "cont" => NoArguments(arguments, () => Start(events)),
        "xen-save-devices-state" => SaveDevices(arguments, events),
        "xen-load-devices-state" => LoadDevices(arguments),
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
    private void Stop(List<QmpEvent> events)
    {
        if (!Running) return;
        Running = false;
        events.Add(QmpEvent.Now("STOP"));
    }

    // vm_start (7.2 vm_prepare_start): nothing when already running.
    private void Start(List<QmpEvent> events)
    {
        if (Running) return;
        Running = true;
        events.Add(QmpEvent.Now("RESUME"));
    }

    // qmp_xen_save_devices_state: stop, write, resume if it was running (also after an error).
    private Action<Utf8JsonWriter> SaveDevices(JsonElement arguments, List<QmpEvent> events)
    {
        var args = new QmpArguments(arguments);
        string filename = args.RequiredString("filename");
        args.OptionalBool("live");
        args.CheckNoOthers();
        bool wasRunning = Running;
        Stop(events);
        try
        {
            AtomicFile.Write(filename, s => registry.SaveDeviceState(s, options.Save));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw QmpCommandError.Generic($"Unable to open {filename}: {Strerror(e)}");
        }
        finally
        {
            if (wasRunning) Start(events);
        }
        return Empty;
    }

    // qmp_xen_load_devices_state: refused while running; a failed load changes no device.
    private Action<Utf8JsonWriter> LoadDevices(JsonElement arguments)
    {
        var args = new QmpArguments(arguments);
        string filename = args.RequiredString("filename");
        args.CheckNoOthers();
        if (Running) throw QmpCommandError.Generic("Cannot update device state while vm is running");
        FileStream file;
        try
        {
            file = new FileStream(filename, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw QmpCommandError.Generic($"Unable to open {filename}: {Strerror(e)}");
        }
        using (file)
        {
            try
            {
                registry.LoadDeviceState(file, options.Load);
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
