using Qevm.Tests.Interop;

namespace Qevm.Tests.Validation;

/// <summary>
/// <c>check --target</c> names the error the destination QEMU prints first, in that QEMU's words, in its order
/// (configuration, RAM blocks, sections): each case is loaded by the real QEMU (<c>-incoming</c>) and QEMU's first
/// error line must contain Qevm's first finding. Also: the built-in database is not stale against the installed 7.2.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuVersionVerdictTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-versions-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A paused 7.2 guest's stream (-nodefaults, as QemuProcess starts it).
    private string Stream72(string name, params string[] args)
    {
        var path = Path.Combine(_dir, name);
        using var q = QemuProcess.Start(["-S", .. args]);
        q.MigrateToFile(path, TimeSpan.FromSeconds(60));
        return path;
    }

    private static TargetVerdict Check(string stream, CheckTarget target)
    {
        using var f = File.OpenRead(stream);
        return TargetCheck.Verdict(StreamInfo.Read(f), target);
    }

    // QEMU's first error line (warnings such as a deprecated machine type are not errors).
    private static string FirstError(string log) =>
        log.Split('\n').FirstOrDefault(l => l.StartsWith("qemu-system-", StringComparison.Ordinal) && !l.Contains(": warning: ", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("QEMU printed no error:\n" + log);

    private static void AssertQemuSaysFirst(TargetVerdict verdict, (bool Completed, string Log) load)
    {
        Assert.False(load.Completed, load.Log);
        Assert.NotEmpty(verdict.Findings);
        Assert.Contains(verdict.Findings[0].QemuMessage, FirstError(load.Log), StringComparison.Ordinal);
    }

    [Fact]
    public void MachineTypeMismatch_InEachVersionsWords()
    {
        var mig = Stream72("pc-7.1.mig", "-M", "pc-i440fx-7.1", "-m", "32");
        var v72 = Check(mig, QemuVersionDatabase.BuiltIn.Resolve("qemu-7.2:pc-i440fx-7.2"));
        Assert.Equal("Machine type received is 'pc-i440fx-7.1' and local is 'pc-i440fx-7.2'", v72.Findings[0].QemuMessage);
        AssertQemuSaysFirst(v72, QemuProcess.LoadIncoming(["-M", "pc-i440fx-7.2", "-m", "32"], mig));

        var v111 = Check(mig, QemuVersionDatabase.BuiltIn.Resolve("qemu-11.1:pc-i440fx-7.2"));
        Assert.Equal("load of migration failed: Invalid argument: post load hook failed for: configuration, version_id: 1, minimum_version: 0: " +
            "Machine type received is 'pc-i440fx-7.1' and local is 'pc-i440fx-7.2'", v111.Findings[0].QemuMessage);
        AssertQemuSaysFirst(v111, QemuChroot.Qemu111.LoadIncoming(["-M", "pc-i440fx-7.2", "-m", "32"], mig));
    }

    [Fact]
    public void DeviceTheDestinationLacks_FailsFirstOnItsRomBlock()
    {
        string[] machine = ["-M", "pc-i440fx-7.2", "-m", "32"];
        var mig = Stream72("virtio-net.mig", [.. machine, "-device", "virtio-net-pci,netdev=n", "-netdev", "user,id=n"]);
        // A destination started without the device: a stream of it is the target that shows what it has.
        var dest = Stream72("plain.mig", machine);
        var verdict = Check(mig, CheckTarget.Load(dest));
        Assert.Equal("Unknown ramblock \"0000:00:02.0/virtio-net-pci.rom\", cannot accept migration", verdict.Findings[0].QemuMessage);
        // The device's section comes after, as QEMU would meet it.
        Assert.Contains(verdict.Findings, f => f.QemuMessage.StartsWith("Unknown savevm section or instance '0000:00:02.0/virtio-net'", StringComparison.Ordinal));
        AssertQemuSaysFirst(verdict, QemuProcess.LoadIncoming(machine, mig));

        // A database entry is a destination started with the source's devices: 7.2 and 11.1 know virtio-net, and load it.
        foreach (var (version, load) in new (string, Func<(bool, string)>)[]
        {
            ("qemu-7.2", () => QemuProcess.LoadIncoming([.. machine, "-device", "virtio-net-pci,netdev=n", "-netdev", "user,id=n"], mig)),
            ("qemu-11.1", () => QemuChroot.Qemu111.LoadIncoming([.. machine, "-device", "virtio-net-pci,netdev=n", "-netdev", "user,id=n"], mig)),
        })
        {
            var db = Check(mig, QemuVersionDatabase.BuiltIn.Resolve(version, "pc-i440fx-7.2"));
            Assert.Empty(db.Findings);
            Assert.Contains(db.NotChecked, n => n.StartsWith("whether the destination has the source's devices", StringComparison.Ordinal));
            Assert.Contains(db.NotChecked, n => n.StartsWith("RAM block 0000:00:02.0/virtio-net-pci.rom", StringComparison.Ordinal));
            var (completed, log) = load();
            Assert.True(completed, log);
        }
    }

    [Fact]
    public void SectionsAndVersions_InQemu111sWords()
    {
        string[] machine = ["-M", "pc-i440fx-7.2", "-m", "32"];
        var mig = Stream72("rng.mig", [.. machine, "-device", "virtio-rng-pci"]);
        // A section of a device type no QEMU has: virtio-rng's idstr renamed in the stream (same length).
        var renamed = File.ReadAllBytes(mig);
        var idstr = "0000:00:02.0/virtio-rng"u8;
        int rng = renamed.AsSpan().IndexOf(idstr);
        Assert.True(rng > 0);
        "0000:00:02.0/virtio-rnX"u8.CopyTo(renamed.AsSpan(rng));
        var unknownPath = Path.Combine(_dir, "rnX.mig");
        File.WriteAllBytes(unknownPath, renamed);
        var unknown = Check(unknownPath, QemuVersionDatabase.BuiltIn.Resolve("qemu-11.1", "pc-i440fx-7.2"));
        Assert.Equal("load of migration failed: Invalid argument: Unknown section or instance '0000:00:02.0/virtio-rnX' 0. Make sure that your current " +
            "VM setup matches your saved VM setup, including any hotplugged devices", unknown.Findings[0].QemuMessage);
        AssertQemuSaysFirst(unknown, QemuChroot.Qemu111.LoadIncoming([.. machine, "-device", "virtio-rng-pci"], unknownPath));

        // mc146818rtc's section version (3 in 7.2 and 11.1) patched above 11.1's and below its minimum (3 in 11.1).
        var bytes = File.ReadAllBytes(mig);
        byte[] header = [11, .. "mc146818rtc"u8, 0, 0, 0, 0, 0, 0, 0, 3];
        int at = bytes.AsSpan().IndexOf(header) + header.Length - 1;
        foreach (var (version, expected) in new[]
        {
            (4, "load of migration failed: Invalid argument: unsupported version 4 for 'mc146818rtc' v3"),
            (2, "load of migration failed: Invalid argument: error while loading state for instance 0x0 of device 'mc146818rtc': " +
                "mc146818rtc: incoming version_id 2 is too old for local minimum version_id 3"),
        })
        {
            bytes[at] = (byte)version;
            var path = Path.Combine(_dir, $"rtc-v{version}.mig");
            File.WriteAllBytes(path, bytes);
            var verdict = Check(path, QemuVersionDatabase.BuiltIn.Resolve("qemu-11.1", "pc-i440fx-7.2"));
            Assert.Equal(expected, verdict.Findings[0].QemuMessage);
            AssertQemuSaysFirst(verdict, QemuChroot.Qemu111.LoadIncoming([.. machine, "-device", "virtio-rng-pci"], path));
        }
    }

    [Fact]
    public void RamSizeMismatch_AgainstAStreamOfTheDestination()
    {
        var mig = Stream72("m32.mig", "-M", "pc-i440fx-7.2", "-m", "32");
        var dest = Stream72("m64.mig", "-M", "pc-i440fx-7.2", "-m", "64");
        var verdict = Check(mig, CheckTarget.Load(dest));
        Assert.Equal("Size mismatch: pc.ram: 0x2000000 != 0x4000000: Invalid argument", verdict.Findings[0].QemuMessage);
        AssertQemuSaysFirst(verdict, QemuProcess.LoadIncoming(["-M", "pc-i440fx-7.2", "-m", "64"], mig));
    }

    [Fact]
    public void CrossVersionLoad_ThatQemuAccepts_HasNoFinding()
    {
        var mig = Stream72("pc-5.2.mig", "-M", "pc-i440fx-5.2", "-m", "32");
        foreach (var version in new[] { "qemu-10.0", "qemu-11.1" })
            Assert.Empty(Check(mig, QemuVersionDatabase.BuiltIn.Resolve(version, "pc-i440fx-5.2")).Findings);
        var load = QemuProcess.LoadIncoming(["-M", "pc-i440fx-5.2", "-m", "32"], mig, Qemu10.Start);
        Assert.True(load.Completed, load.Log);
        var (code, output, err) = Cli.QevmCli.Run("check", mig, "--target", "qemu-10.0");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("target qemu-10.0:pc-i440fx-5.2 (QEMU version database): no refusal found; not checked: whether the destination has the source's devices", output, StringComparison.Ordinal);
        Assert.Contains("; the size of pc.ram (0x2000000 in the stream; the destination's -m decides it)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ArmVirt_MachineTypeMismatchAndAcceptedLoad()
    {
        // QEMU 7.2's qemu-system-aarch64 (Debian's qemu-system-arm), its default CPU.
        static QemuProcess StartArm(IEnumerable<string> args) => QemuProcess.Start(args, "qemu-system-aarch64");
        var older = Path.Combine(_dir, "virt-7.1.mig");
        using (var q = StartArm(["-S", "-M", "virt-7.1", "-m", "32"])) q.MigrateToFile(older, TimeSpan.FromSeconds(60));
        var verdict = Check(older, QemuVersionDatabase.BuiltIn.Resolve("qemu-7.2:virt"));
        Assert.Equal("Machine type received is 'virt-7.1' and local is 'virt-7.2'", verdict.Findings[0].QemuMessage);
        AssertQemuSaysFirst(verdict, QemuProcess.LoadIncoming(["-M", "virt-7.2", "-m", "32"], older, StartArm));

        var same = Path.Combine(_dir, "virt-7.2.mig");
        using (var q = StartArm(["-S", "-M", "virt-7.2", "-m", "32"])) q.MigrateToFile(same, TimeSpan.FromSeconds(60));
        verdict = Check(same, QemuVersionDatabase.BuiltIn.Resolve("qemu-7.2", "virt-7.2"));
        Assert.Empty(verdict.Findings);
        Assert.Contains(verdict.NotChecked, n => n.StartsWith("the size of mach-virt.ram (0x2000000 in the stream", StringComparison.Ordinal));
        var load = QemuProcess.LoadIncoming(["-M", "virt-7.2", "-m", "32"], same, StartArm);
        Assert.True(load.Completed, load.Log);
    }

    [Fact]
    public void Database_IsNotStale_AgainstTheInstalledQemu72()
    {
        var path = Path.Combine(_dir, "dump.json");
        var (code, _, err) = ProgramRunner.Run("qemu-system-x86_64", "-nodefaults", "-display", "none", "-M", "pc-i440fx-7.2", "-dump-vmstate", path);
        Assert.True(code == 0, err);
        var real = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path)).RootElement;
        var ours = System.Text.Json.JsonDocument.Parse(QemuVersionDatabase.BuiltIn.FindVersion("7.2")!.Machine("pc-i440fx-7.2")!.DumpVmStateJson()).RootElement;
        var realEntries = real.EnumerateObject().ToDictionary(p => p.Name, p => Compact(p.Value));
        var ourEntries = ours.EnumerateObject().ToDictionary(p => p.Name, p => Compact(p.Value));
        Assert.Equal(realEntries.Keys.Order(StringComparer.Ordinal), ourEntries.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in realEntries) Assert.True(value == ourEntries[key], $"{key} differs from the database: rebuild it (scripts/build-version-db.sh)");
    }

    private static string Compact(System.Text.Json.JsonElement e)
    {
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms)) e.WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
