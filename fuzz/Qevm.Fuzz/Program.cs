using Qevm.Fuzz.Targets;
using SharpFuzz;

namespace Qevm.Fuzz;

/// <summary>
/// AFL++ targets (SharpFuzz), one per input surface. Each target's <c>Run</c> throws only when the error contract
/// is broken (an untyped exception, or a state a refused load changed); AFL records any exception as a crash.
/// The target is named by the first argument or by <c>QEVM_FUZZ_TARGET</c>; <c>fuzz/run.sh</c> runs each in turn.
/// </summary>
public static class Program
{
    /// <summary>
    /// The targets by name: the seeds are in <c>fuzz/seeds/NAME/</c> and the crashes in <c>fuzz/crashes/NAME/</c>.
    /// A new target is a file in Targets/ (a static <c>Run(byte[])</c> that throws only on a broken contract) and a
    /// row here, with seeds in fuzz/seeds/NAME/: the QMP target (lines into the server's per-connection logic) is
    /// meant to come this way.
    /// </summary>
    public static IReadOnlyDictionary<string, Action<byte[]>> Targets { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["streams"] = StreamsTarget.Run,
        ["containers"] = ContainersTarget.Run,
        ["compose"] = ComposeTarget.Run,
        ["schema"] = SchemaTarget.Run,
        ["loader"] = LoaderTarget.Run,
        ["qmp"] = QmpTarget.Run,
    };

    /// <summary>
    /// <c>Qevm.Fuzz --list</c> prints the targets' names; <c>Qevm.Fuzz TARGET</c> (or <c>QEVM_FUZZ_TARGET</c>)
    /// runs under afl-fuzz; <c>Qevm.Fuzz TARGET FILE</c> replays one input (a crash found earlier) outside it.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args is ["--list"])
        {
            foreach (var target in Targets.Keys) Console.WriteLine(target);
            return 0;
        }
        string? name = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("QEVM_FUZZ_TARGET");
        if (name is null || !Targets.TryGetValue(name, out var run))
        {
            Console.Error.WriteLine($"usage: Qevm.Fuzz TARGET [FILE] | --list; targets: {string.Join(", ", Targets.Keys)}");
            return 2;
        }
        if (args.Length > 1)
        {
            run(File.ReadAllBytes(args[1]));
            return 0;
        }
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            run(ms.ToArray());
        });
        return 0;
    }
}
