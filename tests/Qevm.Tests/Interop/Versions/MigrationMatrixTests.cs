using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Qevm.Tests.Interop.Versions;

/// <summary>
/// Real migrations between QEMU 5.2, 7.2, 10.0 and 11.1 (issue 17, point 5): every ordered pair, with the machine types
/// all four know (pc-i440fx-5.2, pc-q35-5.2), a default guest and a device-rich one; plus two kinds of load that must
/// fail: plain <c>-M pc</c> on both sides (each side's newest machine type), and a destination without the source's
/// devices; and the device-rich guest with a <c>-netdev user</c> backend per NIC, which older versions refuse from
/// newer ones. Each source stream is made once (<c>-S</c>, 32 MiB) and loaded by the three other versions; each
/// destination's verdict (completed, or its first error line) is compared with <c>qevm check FILE --target T</c>, T
/// being the destination's <c>-dump-vmstate</c> for the same <c>-M</c> and, where the devices differ, a stream the
/// destination's configuration wrote. <see cref="ExpectedQevmVerdict"/> says where check --target cannot yet agree.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class MigrationMatrixTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Machines = ["pc-i440fx-5.2", "pc-q35-5.2"];

    // The device-rich guest of the matrix: its NICs have no backend. With a -netdev user backend each, QEMU 10.0 and 11.1
    // write 'slirp' sections that 5.2 and 7.2 refuse; that is the UserNetdevs kind of load.
    private static readonly string[] Devices =
    [
        "-device", "virtio-net-pci", "-device", "e1000", "-device", "qemu-xhci,id=xhci", "-device", "usb-tablet,bus=xhci.0",
        "-device", "virtio-rng-pci", "-device", "virtio-balloon-pci",
    ];
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-matrix-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The kinds of load.</summary>
    private enum Kind
    {
        /// <summary>Same machine type and devices on both sides: QEMU completes.</summary>
        Same,

        /// <summary><c>-M pc</c> on both sides: QEMU refuses, "Machine type received is …".</summary>
        PlainPc,

        /// <summary>The device-rich guest into a default destination: QEMU refuses on the first unknown ROM block.</summary>
        MissingDevices,

        /// <summary>The device-rich guest with a <c>-netdev user</c> backend per NIC, on pc-i440fx-5.2: QEMU 5.2 and 7.2
        /// refuse 10.0's and 11.1's <c>slirp</c> sections ("Unknown savevm section or instance 'slirp' 1").</summary>
        UserNetdevs,
    }

    /// <summary>What check --target says compared with QEMU.</summary>
    private enum Expect
    {
        /// <summary>The same verdict (and for refusals, QEMU's reason).</summary>
        Agrees,

        /// <summary>check accepts while QEMU refuses: the target cannot show the difference.</summary>
        AcceptsWhileQemuRefuses,

        /// <summary>check refuses too, for another reason than QEMU's first.</summary>
        RefusesForAnotherReason,

        /// <summary>check refuses while QEMU completes: never expected.</summary>
        RefusesWhileQemuCompletes,
    }

    /// <summary>
    /// What check --target gives per kind of load and kind of target: the destination's -dump-vmstate, a stream the
    /// destination's configuration wrote, and the built-in database entry (that QEMU version and machine type, started
    /// with the source's devices).
    /// </summary>
    private static readonly Dictionary<(Kind, string Target, bool QemuCompletes), Expect> ExpectedQevmVerdict = new()
    {
        [(Kind.Same, "dump-vmstate", true)] = Expect.Agrees,
        [(Kind.Same, "database", true)] = Expect.Agrees,
        [(Kind.PlainPc, "dump-vmstate", false)] = Expect.Agrees,
        [(Kind.PlainPc, "database", false)] = Expect.Agrees,
        // -dump-vmstate describes device types, not which devices a configuration has, nor its RAM blocks; a database
        // entry assumes the destination was started with the source's devices.
        [(Kind.MissingDevices, "dump-vmstate", false)] = Expect.AcceptsWhileQemuRefuses,
        [(Kind.MissingDevices, "database", false)] = Expect.AcceptsWhileQemuRefuses,
        // The destination's stream lists its RAM blocks: the first unknown one is QEMU's first error.
        [(Kind.MissingDevices, "stream", false)] = Expect.Agrees,
        [(Kind.UserNetdevs, "dump-vmstate", true)] = Expect.Agrees,
        [(Kind.UserNetdevs, "dump-vmstate", false)] = Expect.AcceptsWhileQemuRefuses, // no instance ids in -dump-vmstate
        [(Kind.UserNetdevs, "database", true)] = Expect.Agrees,
        // 5.2 and 7.2 number both slirp sections 0, which the database (one default NIC) cannot show.
        [(Kind.UserNetdevs, "database", false)] = Expect.AcceptsWhileQemuRefuses,
        [(Kind.UserNetdevs, "stream", true)] = Expect.Agrees,
        [(Kind.UserNetdevs, "stream", false)] = Expect.Agrees,
    };

    private sealed record Load(QemuVersion Source, QemuVersion Dest, string Machine, bool Rich, Kind Kind, string File, string[] DestArgs);

    private sealed record Result(Load Load, bool QemuCompleted, string QemuFirstError, Dictionary<string, (bool Accepts, string Message)> Qevm);

    [Fact]
    public void EveryPair_LoadsOrRefuses_AsTheDestinationQemuDoes()
    {
        var clock = Stopwatch.StartNew();
        var versions = QemuVersion.All;
        string Stream(QemuVersion v, string machine, bool rich) => Path.Combine(_dir, $"{v.Name}-{machine}-{(rich ? "devices" : "default")}.mig");
        string Dump(QemuVersion v, string machine) => Path.Combine(_dir, $"{v.Name}-{machine}.dump.json");
        string[] Args(string machine, bool rich) => ["-M", machine, "-m", "32", .. rich ? Devices : []];
        string[] netdevArgs = ["-M", Machines[0], "-m", "32", .. VersionCorpus.RichDevices];
        string Netdevs(QemuVersion v) => Path.Combine(_dir, $"{v.Name}-{Machines[0]}-netdevs.mig");

        // Sources: stopped before they ran (-S), so that each stream is made quickly; one per version, machine and devices.
        foreach (var v in versions)
        {
            foreach (var machine in Machines.Append("pc"))
            {
                foreach (var rich in machine == "pc" ? [false] : new[] { false, true })
                {
                    using var q = v.Start([.. Args(machine, rich), "-S"]);
                    q.MigrateToFile(Stream(v, machine, rich), TimeSpan.FromSeconds(60));
                }
                v.DumpVmState(["-M", machine], Dump(v, machine));
            }
            using var n = v.Start([.. netdevArgs, "-S"]);
            n.MigrateToFile(Netdevs(v), TimeSpan.FromSeconds(60));
        }
        var made = clock.Elapsed;

        var loads = new List<Load>();
        foreach (var s in versions)
        {
            foreach (var d in versions.Where(d => d != s))
            {
                foreach (var machine in Machines)
                    foreach (var rich in new[] { false, true })
                        loads.Add(new(s, d, machine, rich, Kind.Same, Stream(s, machine, rich), Args(machine, rich)));
                loads.Add(new(s, d, "pc", false, Kind.PlainPc, Stream(s, "pc", false), Args("pc", false)));
                loads.Add(new(s, d, Machines[0], true, Kind.MissingDevices, Stream(s, Machines[0], true), Args(Machines[0], false)));
                loads.Add(new(s, d, Machines[0], true, Kind.UserNetdevs, Netdevs(s), netdevArgs));
            }
        }

        var results = new List<Result>();
        foreach (var l in loads)
        {
            var (completed, log) = l.Dest.LoadIncoming(l.DestArgs, l.File);
            var targets = new Dictionary<string, string> { ["dump-vmstate"] = Dump(l.Dest, l.Machine), ["database"] = $"qemu-{l.Dest.Name}:{l.Machine}" };
            if (l.Kind == Kind.MissingDevices) targets["stream"] = Stream(l.Dest, l.Machine, rich: false);
            if (l.Kind == Kind.UserNetdevs) targets["stream"] = Netdevs(l.Dest);
            var qevm = new Dictionary<string, (bool, string)>();
            foreach (var (kind, target) in targets)
            {
                var err = new StringWriter();
                int code = global::Qevm.Cli.Program.Run(["check", l.File, "--target", target], TextWriter.Null, err);
                Assert.True(code is 0 or 1, $"check --target {target}: exit {code}: {err}");
                qevm[kind] = (code == 0, err.ToString().Split('\n')[0].Trim());
            }
            results.Add(new(l, completed, completed ? "" : FirstError(log), qevm));
        }
        var loaded = clock.Elapsed - made;

        var problems = new List<string>();
        foreach (var r in results)
        {
            var l = r.Load;
            string what = $"{l.Source} -> {l.Dest} {l.Machine} {(l.Rich ? "devices" : "default")} {l.Kind}";
            // QEMU's own verdicts: the facts the table records.
            switch (l.Kind)
            {
                case Kind.Same when !r.QemuCompleted:
                    problems.Add($"{what}: QEMU refused: {r.QemuFirstError}");
                    break;
                case Kind.PlainPc when r.QemuCompleted || !r.QemuFirstError.Contains($"Machine type received is '{l.Source.NewestPc}' and local is '{l.Dest.NewestPc}'", StringComparison.Ordinal):
                    problems.Add($"{what}: QEMU {(r.QemuCompleted ? "completed" : "said " + r.QemuFirstError)}");
                    break;
                case Kind.MissingDevices when r.QemuCompleted || !r.QemuFirstError.Contains("Unknown ramblock \"0000:00:02.0/virtio-net-pci.rom\", cannot accept migration", StringComparison.Ordinal):
                    problems.Add($"{what}: QEMU {(r.QemuCompleted ? "completed" : "said " + r.QemuFirstError)}");
                    break;
                case Kind.UserNetdevs:
                    bool refuses = l.Source.Name is "10.0" or "11.1" && l.Dest.Name is "5.2" or "7.2";
                    if (r.QemuCompleted == refuses || (refuses && !r.QemuFirstError.StartsWith("Unknown savevm section or instance 'slirp' 1", StringComparison.Ordinal)))
                        problems.Add($"{what}: QEMU {(r.QemuCompleted ? "completed" : "said " + r.QemuFirstError)}");
                    break;
            }
            foreach (var (target, (accepts, message)) in r.Qevm)
            {
                if (!ExpectedQevmVerdict.TryGetValue((l.Kind, target, r.QemuCompleted), out var expect))
                {
                    problems.Add($"{what}: QEMU {(r.QemuCompleted ? "completed" : "refused")}, which the table does not expect");
                    continue;
                }
                var actual = Compare(r, accepts, message);
                if (actual != expect) problems.Add($"{what}: check --target {target}: expected {expect}, got {actual}: {message} | QEMU: {(r.QemuCompleted ? "completed" : r.QemuFirstError)}");
            }
        }

        output.WriteLine(Table(results));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{results.Count} loads; sources and -dump-vmstate {made.TotalSeconds:0} s, loads and checks {loaded.TotalSeconds:0} s, total {clock.Elapsed.TotalSeconds:0} s"));
        foreach (var r in results.Where(r => !r.QemuCompleted).DistinctBy(r => (r.Load.Kind, r.Load.Dest, r.Load.Source.Name == "11.1")))
            output.WriteLine($"{r.Load.Kind} into {r.Load.Dest}: QEMU: {r.QemuFirstError} | qevm: {string.Join(" | ", r.Qevm.Select(q => q.Key + ": " + q.Value.Message))}");
        Assert.Equal(12 * 7, results.Count);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    // Agreement: same verdict, and for a refusal QEMU's first error line holds the reason check gives (QEMU's words,
    // which check quotes after "(QEMU: " or as the message's last part).
    private static Expect Compare(Result r, bool accepts, string message)
    {
        if (accepts) return r.QemuCompleted ? Expect.Agrees : Expect.AcceptsWhileQemuRefuses;
        if (r.QemuCompleted) return Expect.RefusesWhileQemuCompletes;
        int q = message.IndexOf("(QEMU: ", StringComparison.Ordinal);
        string words = q >= 0 ? message[(q + 7)..message.LastIndexOf(')')] : message[(message.LastIndexOf(": ", StringComparison.Ordinal) + 2)..];
        return words.Split("; ").All(part => r.QemuFirstError.Contains(part, StringComparison.Ordinal)) ? Expect.Agrees : Expect.RefusesForAnotherReason;
    }

    // QEMU's first error line without the program's name: the line after which the load stopped.
    private static string FirstError(string log)
    {
        foreach (var raw in log.Split('\n'))
        {
            string line = raw.Trim();
            int at = line.IndexOf("qemu-system-x86_64: ", StringComparison.Ordinal);
            if (at < 0) continue;
            string text = line[(at + "qemu-system-x86_64: ".Length)..];
            if (text.StartsWith("warning:", StringComparison.Ordinal) || text.StartsWith("-netdev", StringComparison.Ordinal)) continue;
            return text;
        }
        return log.Trim().Split('\n')[0];
    }

    // One row per ordered pair; a cell per kind of load: QEMU's verdict, then whether check --target agreed.
    private static string Table(List<Result> results)
    {
        static string Cell(IEnumerable<Result> rs) => string.Join(" ", rs.Select(r =>
            (r.QemuCompleted ? "completed" : "refused") + " (" + string.Join(", ", r.Qevm.Select(q => q.Key + ": " + Short(Compare(r, q.Value.Accepts, q.Value.Message)))) + ")"));
        static string Short(Expect e) => e switch
        {
            Expect.Agrees => "agrees",
            Expect.AcceptsWhileQemuRefuses => "accepts",
            Expect.RefusesForAnotherReason => "refuses, other reason",
            _ => "refuses while QEMU completes",
        };
        var sb = new StringBuilder();
        sb.AppendLine("| source → destination | pc-i440fx-5.2 default | pc-i440fx-5.2 devices | pc-q35-5.2 default | pc-q35-5.2 devices | `-M pc` both sides | pc-i440fx-5.2, destination without the devices | pc-i440fx-5.2 devices, `-netdev user` per NIC |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var pair in results.GroupBy(r => (r.Load.Source, r.Load.Dest)))
        {
            var rs = pair.ToList();
            sb.Append(CultureInfo.InvariantCulture, $"| {pair.Key.Source} → {pair.Key.Dest} ");
            foreach (var machine in Machines)
                foreach (var rich in new[] { false, true })
                    sb.Append("| ").Append(Cell(rs.Where(r => r.Load.Kind == Kind.Same && r.Load.Machine == machine && r.Load.Rich == rich))).Append(' ');
            sb.Append("| ").Append(Cell(rs.Where(r => r.Load.Kind == Kind.PlainPc))).Append(' ');
            sb.Append("| ").Append(Cell(rs.Where(r => r.Load.Kind == Kind.MissingDevices))).Append(' ');
            sb.Append("| ").Append(Cell(rs.Where(r => r.Load.Kind == Kind.UserNetdevs))).AppendLine(" |");
        }
        return sb.ToString();
    }
}
