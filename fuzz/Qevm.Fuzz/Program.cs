using SharpFuzz;

namespace Qevm.Fuzz;

/// <summary>
/// AFL++ target (SharpFuzz): one input is read as a stream (record table, every RAM record), decoded with
/// its own trailer, copied, and tried as a schema; only <see cref="VmStateFormatException"/> (and the
/// <see cref="ArgumentException"/> of schema loading) may come out. Any other exception is a crash.
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
    }
}
