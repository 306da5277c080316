using System.Text.Json.Nodes;

namespace Qevm.Tests.Interop;

/// <summary>
/// Real internal snapshots: QEMU 7.2 <c>savevm</c> twice on a qcow2 disk (the guest stopped after its firmware ran,
/// guest RAM saved with <c>pmemsave</c> at each); Qevm lists them as <c>qemu-img snapshot -l</c> does, checks and
/// dumps each VM state, and <c>extract --snapshot</c> gives each snapshot's RAM.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class Qcow2SavevmTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-savevm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Qevm(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    [Fact]
    public void SavevmSnapshots_AreListedCheckedDumpedAndExtracted()
    {
        var disk = Path.Combine(_dir, "disk.qcow2");
        ProgramRunner.Check("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M");
        var ram = new[] { Path.Combine(_dir, "ram1.bin"), Path.Combine(_dir, "ram2.bin") };
        var migration = Path.Combine(_dir, "same-vm.mig");
        using (var q = QemuProcess.Start(["-machine", "pc", "-m", "32", "-drive", $"file={disk},if=ide,format=qcow2"]))
        {
            for (int i = 0; i < 2; i++)
            {
                Thread.Sleep(1000); // the firmware runs
                q.Execute("stop");
                q.Execute("pmemsave", new JsonObject { ["val"] = 0, ["size"] = 32L << 20, ["filename"] = ram[i] });
                string said = q.Hmp($"savevm snap{i + 1}");
                Assert.True(said.Trim().Length == 0, "savevm: " + said);
                if (i == 0) q.Execute("cont");
            }
            q.MigrateToFile(migration, TimeSpan.FromSeconds(60));
            q.Execute("quit");
        }

        // The table, as qemu-img prints it.
        var expected = ProgramRunner.Check("qemu-img", "snapshot", "-l", disk).TrimEnd('\n').Split('\n');
        var (code, listed, err) = Qevm("snapshots", disk);
        Assert.True(code == 0, err);
        var lines = listed.Split('\n');
        Assert.Equal(4, expected.Length);
        Assert.Equal(expected, lines[..expected.Length]);
        Assert.StartsWith("1 snap1: migration, machine pc-i440fx-7.2, ", lines[4], StringComparison.Ordinal);
        Assert.Contains("RAM 32 MiB", lines[4], StringComparison.Ordinal);
        Assert.StartsWith("2 snap2: migration, machine pc-i440fx-7.2, ", lines[5], StringComparison.Ordinal);

        // --json: the same table, each VM state's record table as `info --json --snapshot` gives it.
        var table = JsonNode.Parse(Qevm("snapshots", disk, "--json").Out)!["snapshots"]!.AsArray();
        Assert.Equal(["snap1", "snap2"], table.Select(s => (string)s!["name"]!));
        Assert.Equal(["1", "2"], table.Select(s => (string)s!["id"]!));
        foreach (var s in table)
        {
            Assert.True((long)s!["vm_state_size"]! > 0);
            var fromInfo = JsonNode.Parse(Qevm("info", disk, "--snapshot", (string)s["id"]!, "--json").Out)!;
            Assert.Equal(fromInfo["sections"]!.ToJsonString(), s["state"]!["sections"]!.ToJsonString());
            Assert.Equal(fromInfo["ram"]!.ToJsonString(), s["state"]!["ram"]!.ToJsonString());
        }

        var migrationInfo = JsonNode.Parse(Qevm("info", migration, "--json").Out)!;
        for (int i = 0; i < 2; i++)
        {
            string id = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            (code, _, err) = Qevm("check", disk, "--snapshot", id);
            Assert.True(code == 0, err);
            var info = JsonNode.Parse(Qevm("info", disk, "--snapshot", "snap" + id, "--json").Out)!;
            Assert.Equal("qcow2", (string)info["container"]!["kind"]!);
            Assert.Equal("snap" + id, (string)info["container"]!["snapshot"]!["name"]!);
            // The same devices as a migration stream of the same VM (savevm has no configuration section).
            var names = ((JsonArray)info["sections"]!).Where(s => (string)s!["type"]! is "full" or "start").Select(s => (string)s!["idstr"]! + "#" + (int)s!["instance_id"]!).ToList();
            var migNames = ((JsonArray)migrationInfo["sections"]!).Where(s => (string)s!["type"]! is "full" or "start").Select(s => (string)s!["idstr"]! + "#" + (int)s!["instance_id"]!).ToList();
            Assert.Equal(migNames.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
            var (dc, dump, derr) = Qevm("dump", disk, "--snapshot", id);
            Assert.True(dc == 0, derr);
            Assert.Contains("cpu#0/env.regs[0]", dump, StringComparison.Ordinal);
            var outDir = Path.Combine(_dir, "x" + id);
            (code, _, err) = Qevm("extract", disk, "--snapshot", id, "--ram-only", "-o", outDir);
            Assert.True(code == 0, err);
            var extracted = File.ReadAllBytes(Path.Combine(outDir, "ram", "pc.ram"));
            var saved = File.ReadAllBytes(ram[i]);
            Assert.Equal(saved.Length, extracted.Length);
            Assert.True(saved.AsSpan().SequenceEqual(extracted), $"snapshot {id}: RAM differs from pmemsave at {saved.AsSpan().CommonPrefixLength(extracted)}");
        }
    }
}
