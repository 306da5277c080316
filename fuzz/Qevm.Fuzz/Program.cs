using SharpFuzz;

namespace Qevm.Fuzz;

/// <summary>
/// AFL++ target (SharpFuzz): one input is read as a stream (record table, every RAM record), decoded with
/// its own trailer, copied, tried as a schema, and opened as a container (libvirt save image, qcow2 snapshot 1,
/// compressed stream) whose stream is then read; only <see cref="VmStateFormatException"/> (and the refusals
/// containers state as <see cref="NotSupportedException"/> and <see cref="ArgumentException"/>: lzop, a snapshot
/// that is not there) may come out. Any other exception is a crash.
/// </summary>
public static class Program
{
    /// <summary>Runs under afl-fuzz: <c>fuzz/run.sh</c>.</summary>
    public static void Main(string[] args)
    {
        if (args.Length > 0)
        {
            // Replay one input (a crash found earlier) outside the fuzzer.
            Run(File.ReadAllBytes(args[0]));
            return;
        }
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            Run(ms.ToArray());
        });
    }

    private static void Run(byte[] data)
    {
        try
        {
            StateDump.Read(new MemoryStream(data, writable: false));
            StreamCopier.Copy(new MemoryStream(data, writable: false), Stream.Null);
        }
        catch (VmStateFormatException)
        {
            // the error contract
        }
        try
        {
            Trailer.Parse(data);
        }
        catch (VmStateFormatException)
        {
        }
        try
        {
            bool qcow2 = data.Length >= 4 && data[0] == 'Q' && data[1] == 'F' && data[2] == 'I' && data[3] == 0xFB;
            var options = new VmStateInputOptions { AllowPartial = true, Snapshot = qcow2 ? "1" : null };
            using var input = VmStateInput.Open(new MemoryStream(data, writable: false), options);
            StreamInfo.Read(input);
        }
        catch (Exception e) when (e is VmStateFormatException or NotSupportedException or ArgumentException)
        {
        }
    }
}
