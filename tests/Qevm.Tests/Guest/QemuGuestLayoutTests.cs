using System.Text.Json.Nodes;
using Qevm.Guest;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// The guest-physical layout equals QEMU's: a paused guest is written twice by QEMU 7.2, by
/// <c>dump-guest-memory</c> (paging off) and by <c>migrate</c>; the layout built from the stream has the dump's
/// PT_LOADs (p_paddr, p_memsz), block by block.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuGuestLayoutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-guest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Starts a paused guest, writes QEMU's ELF dump and a migration stream of it.</summary>
    internal static (string Elf, string Mig) DumpAndMigrate(string dir, string name, params string[] args) => DumpAndMigrate(dir, name, null, args);

    /// <summary>As above; <paramref name="run"/> runs the guest and stops it again before both are written.</summary>
    internal static (string Elf, string Mig) DumpAndMigrate(string dir, string name, Action<QemuProcess>? run, params string[] args) =>
        DumpAndMigrate(dir, name, QemuProcess.DefaultBinary, run, null, args);

    /// <summary>As above with another QEMU binary (e.g. <c>qemu-system-aarch64</c>).</summary>
    internal static (string Elf, string Mig) DumpAndMigrate(string dir, string name, string binary, Action<QemuProcess>? run, params string[] args) =>
        DumpAndMigrate(dir, name, binary, run, null, args);

    /// <summary>As above; <paramref name="after"/> runs once both are written, before QEMU quits (e.g. <c>pmemsave</c>).</summary>
    internal static (string Elf, string Mig) DumpAndMigrate(string dir, string name, Action<QemuProcess>? run, Action<QemuProcess>? after, params string[] args) =>
        DumpAndMigrate(dir, name, QemuProcess.DefaultBinary, run, after, args);

    /// <summary>As above with another QEMU binary and an <paramref name="after"/> step.</summary>
    internal static (string Elf, string Mig) DumpAndMigrate(string dir, string name, string binary, Action<QemuProcess>? run, Action<QemuProcess>? after, params string[] args)
    {
        var elf = Path.Combine(dir, name + ".elf");
        var mig = Path.Combine(dir, name + ".mig");
        using var q = QemuProcess.Start([.. args, "-S"], binary);
        run?.Invoke(q);
        DumpGuestMemory(q, elf);
        q.Execute("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 100L << 30 });
        q.MigrateToFile(mig, TimeSpan.FromSeconds(120));
        after?.Invoke(q);
        return (elf, mig);
    }

    /// <summary>QEMU's <c>dump-guest-memory</c> (paging off) of the guest to <paramref name="elf"/>, waited for.</summary>
    internal static void DumpGuestMemory(QemuProcess q, string elf)
    {
        q.Execute("dump-guest-memory", new JsonObject { ["paging"] = false, ["protocol"] = "file:" + elf });
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (q.Execute("query-dump").GetProperty("status").GetString() == "active")
        {
            Assert.True(DateTime.UtcNow < deadline, "dump-guest-memory did not finish");
            Thread.Sleep(100);
        }
        Assert.Equal("completed", q.Execute("query-dump").GetProperty("status").GetString());
    }

    [Fact]
    public void Pc32MiB_LayoutEqualsTheDumpsLoads()
    {
        var (elf, mig) = DumpAndMigrate(_dir, "pc32", "-M", "pc-i440fx-7.2", "-m", "32");
        GuestPhysicalLayout layout;
        using (var f = File.OpenRead(mig)) layout = GuestPhysicalLayout.Read(f);

        var loads = ElfCoreFile.Read(elf).ProgramHeaders.Where(p => p.Type == ElfProgramHeader.Load).Select(p => (p.PhysicalAddress, p.MemorySize));
        Assert.Equal(loads, layout.Ranges.Select(r => (r.Address, r.Length)));
        // Which block backs each range (the dump does not say; these are QEMU's regions for a guest paused before
        // SeaBIOS: PAM all 0, so the ROMs show at 0xC0000-0xFFFFF).
        Assert.Equal(
            [("pc.ram", 0UL), ("pc.rom", 0UL), ("pc.bios", 0x20000UL), ("pc.ram", 0x100000UL), ("pc.bios", 0UL)],
            layout.Ranges.Select(r => (r.Block, r.BlockOffset)));
        Assert.Equal(GuestMachine.I440fx, layout.Machine);
        Assert.Equal(32UL << 20, layout.Below4G);
        Assert.Equal(0UL, layout.Above4G);

        var output = new StringWriter();
        var err = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(["memory", "map", mig, "--json"], output, err) == 0, err.ToString());
        var json = JsonNode.Parse(output.ToString())!;
        Assert.Equal("i440fx", (string?)json["machine"]);
        Assert.Equal(loads, json["ranges"]!.AsArray().Select(r => ((ulong)r!["address"]!, (ulong)r["length"]!)));
    }

    [Fact]
    public void DeviceStateFile_HasNoLayout()
    {
        var dev = Path.Combine(_dir, "dev.bin");
        using (var q = QemuProcess.Start(["-M", "pc-i440fx-7.2", "-m", "32", "-S"])) q.SaveDevices(dev);
        var err = new StringWriter();
        Assert.Equal(1, Qevm.Cli.Program.Run(["memory", "map", dev], TextWriter.Null, err));
        Assert.StartsWith("qevm: ", err.ToString(), StringComparison.Ordinal);
        Assert.Single(err.ToString().TrimEnd().Split('\n'));
    }
}
