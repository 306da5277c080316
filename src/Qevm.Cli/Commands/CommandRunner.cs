using System.CommandLine;
using System.Globalization;

namespace Qevm.Cli.Commands;

/// <summary>Runs a command body and turns exceptions into one line on stderr and an exit code; never a stack trace.</summary>
internal static class CommandRunner
{
    public static int Run(CliOutput output, Func<int> body, int invalidInput = Program.InvalidInput)
    {
        try
        {
            return body();
        }
        catch (VmStateFormatException e)
        {
            output.Error.WriteLine("qevm: invalid: " + e.Message + Advice(e));
            return invalidInput;
        }
        catch (Exception e) when (e is Qevm.Guest.GuestLayoutException or Qevm.Guest.GuestAddressException or Qevm.Guest.SharedRamMissingException)
        {
            // The input does not give the layout or the memory asked for: a fact about the input, like invalid bytes.
            output.Error.WriteLine("qevm: " + e.Message + Advice(e));
            return invalidInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            output.Error.WriteLine("qevm: " + (e is ArgumentException { ParamName: { } p } a ? a.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message) + Advice(e));
            return Program.UsageOrIo;
        }
    }

    // The library says what is wrong; the command line says which option helps.
    private static string Advice(Exception e) => e switch
    {
        VmStateFormatException { Error: VmStateError.PartialSave } => "; --allow-partial reads it anyway",
        VmStateFormatException { Error: VmStateError.NeedsSchema } => " (--schema gives one)",
        Qevm.Guest.SharedRamMissingException m => $": give --ram-file {m.Block}=PATH",
        SnapshotRequiredException => ": give --snapshot ID|NAME (`qevm snapshots FILE` lists them)",
        ArgumentException { ParamName: "options" } => " (--snapshot is for qcow2 images)",
        _ => "",
    };

    /// <summary>The FILE argument every reading command takes.</summary>
    public static Argument<string> FileArgument() =>
        new("FILE") { Description = "device-state file, migration stream, libvirt save image, qcow2 image (with --snapshot) or gzip/zstd/xz-compressed stream; - for standard input" };

    /// <summary><c>--allow-partial</c> and <c>--snapshot</c>: how containers are read (options of every command).</summary>
    public static void AddContainerOptions(Command root)
    {
        root.Options.Add(new Option<bool>("--allow-partial")
        {
            Description = "read a libvirt save image whose save did not finish (LibvirtQemudPart)",
            Recursive = true,
        });
        root.Options.Add(new Option<string?>("--snapshot")
        {
            HelpName = "ID|NAME",
            Description = "the internal snapshot (ID or name) of a qcow2 image whose VM state to read",
            Recursive = true,
        });
    }

    /// <summary><c>--compress FORMAT</c> for commands that write a stream.</summary>
    public static Option<string?> CompressOption()
    {
        var option = new Option<string?>("--compress")
        {
            Description = "compression of the written stream: raw, gzip, bzip2, zstd (default: as the input; a libvirt image keeps its header)",
        };
        option.CompletionSources.Add("raw", "gzip", "bzip2", "zstd");
        return option;
    }

    private static VmStateInputOptions InputOptions(ParseResult pr) => new()
    {
        AllowPartial = pr.GetValue<bool>("--allow-partial"),
        Snapshot = pr.GetValue<string?>("--snapshot"),
    };

    /// <summary>Opens FILE (or standard input for <c>-</c>) and finds the QEMU stream in its container.</summary>
    public static VmStateInput OpenState(ParseResult pr, string path) => VmStateInput.Open(OpenInput(path), InputOptions(pr));

    /// <summary>Opens FILE, or standard input for <c>-</c>.</summary>
    public static Stream OpenInput(string path) =>
        path == "-" ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);

    /// <summary>
    /// FILE for commands that read it twice: each <see cref="RereadableInput.Open"/> opens it again (a compressed
    /// stream is decompressed again, never into a temporary file); standard input is first copied to a temporary
    /// file deleted at the end.
    /// </summary>
    public static RereadableInput OpenRereadable(ParseResult pr, string path) => new(path, InputOptions(pr));

    /// <summary>
    /// Writes OUT (through a temporary file and a rename, or to standard output for <c>-</c>) in the container of the
    /// input: the same libvirt header, XML and cookie, the same compression unless <c>--compress</c> says otherwise.
    /// A qcow2 snapshot is written out as a bare stream by <c>convert</c> only (<paramref name="streamOut"/>).
    /// </summary>
    public static void WriteState(ParseResult pr, string path, VmStateContainer? container, Action<Stream> write, bool streamOut = false)
    {
        var compress = pr.GetValue<string?>("--compress") is { } c ? Compression.Parse(c) : (StreamCompression?)null;
        if (compress is { } format && !Compression.CanWrite(format))
            throw new ArgumentException($"writing {format.ToString().ToLowerInvariant()} is not supported: use --compress gzip, bzip2, zstd or raw");
        if (container is Qcow2SnapshotContainer)
        {
            if (!streamOut) RefuseSnapshotWrite(container);
            container = null;
        }
        if (container is null && compress is null or StreamCompression.Raw)
        {
            WriteOutput(path, write);
            return;
        }
        WriteOutput(path, o =>
        {
            using var payload = container is not null ? container.OpenWrite(o, compress) : Compression.Compress(o, compress!.Value);
            write(payload);
        });
    }

    /// <summary>Refuses to write into a qcow2 snapshot, saying how to get its VM state out instead.</summary>
    public static void RefuseSnapshotWrite(VmStateContainer? container)
    {
        if (container is Qcow2SnapshotContainer q)
            throw new NotSupportedException($"writing into a qcow2 snapshot is not supported: `qevm convert FILE --snapshot {q.Snapshot.Id} -o OUT` writes its VM state out as a stream");
    }

    /// <summary>Writes OUT through a temporary file and a rename, or to standard output for <c>-</c>.</summary>
    public static void WriteOutput(string path, Action<Stream> write)
    {
        if (path == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            write(stdout);
        }
        else
        {
            AtomicFile.Write(path, write);
        }
    }

    public static string Offset(long offset) => string.Create(CultureInfo.InvariantCulture, $"0x{offset:x} ({offset})");
}

/// <summary>An input opened once per pass (see <see cref="CommandRunner.OpenRereadable"/>).</summary>
internal sealed class RereadableInput : IDisposable
{
    private readonly string _path;
    private readonly VmStateInputOptions _options;
    private readonly string? _temp;

    public RereadableInput(string path, VmStateInputOptions options)
    {
        _options = options;
        if (path == "-")
        {
            _temp = Path.GetTempFileName();
            using (var temp = new FileStream(_temp, FileMode.Create, FileAccess.Write))
            using (var stdin = Console.OpenStandardInput())
                stdin.CopyTo(temp);
            _path = _temp;
        }
        else
        {
            _path = path;
        }
    }

    /// <summary>A new pass over the stream from its first byte.</summary>
    public VmStateInput Open() =>
        VmStateInput.Open(new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), _options);

    public void Dispose()
    {
        if (_temp is not null) File.Delete(_temp);
    }
}
