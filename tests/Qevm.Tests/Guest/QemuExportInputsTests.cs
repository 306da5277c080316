using System.Text.Json.Nodes;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// <c>qevm export</c> from every input that carries RAM equals QEMU's <c>dump-guest-memory</c> of the same paused
/// guest: a qcow2 internal snapshot (<c>savevm</c>), QEMU 10.0 streams (plain and mapped-ram), a stream made with
/// <c>x-ignore-shared</c> whose shared RAM comes from <c>--ram-file</c>. A device-state file of the same guest is
/// refused with advice. (A <c>virsh save</c> image: <see cref="LibvirtExportTests"/>.)
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuExportInputsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-inputs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Qevm(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    private static JsonArray Capabilities(params string[] names) =>
        [.. names.Select(n => (JsonNode)new JsonObject { ["capability"] = n, ["state"] = true })];

    /// <summary>One guest: dump-guest-memory, savevm into its qcow2 disk, xen-save-devices-state.</summary>
    [Fact]
    public void Qcow2Snapshot_ExportEqualsDumpGuestMemory_DeviceStateIsRefused()
    {
        var disk = Path.Combine(_dir, "disk.qcow2");
        ProgramRunner.Check("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M");
        var elf = Path.Combine(_dir, "snap.elf");
        var dev = Path.Combine(_dir, "dev.state");
        using (var q = QemuProcess.Start(["-M", "pc-i440fx-7.2", "-m", "32", "-drive", $"file={disk},if=ide,format=qcow2"]))
        {
            Thread.Sleep(1000); // the firmware runs
            q.Execute("stop");
            QemuGuestLayoutTests.DumpGuestMemory(q, elf);
            string said = q.Hmp("savevm snap1");
            Assert.True(said.Trim().Length == 0, "savevm: " + said);
            q.SaveDevices(dev);
        }
        ElfExportAssert.ExportEquals(_dir, elf, disk, 3, "--snapshot", "snap1");

        foreach (var command in (string[][])[["export", dev, "-o", Path.Combine(_dir, "dev.elf"), "--format", "elf"], ["memory", "read", dev, "0", "16"]])
        {
            var (code, output, err) = Qevm(command);
            Assert.Equal(1, code);
            Assert.Equal("", output);
            Assert.Equal("qevm: a device-state file (xen-save-devices-state) holds no RAM: read the guest's memory from a migration stream (migrate to a file), a `virsh save` image or a qcow2 snapshot (savevm) of the guest", err.TrimEnd());
        }
        Assert.False(File.Exists(Path.Combine(_dir, "dev.elf")));
    }

    /// <summary>
    /// QEMU 10.0: a paused guest dumped and migrated as a plain stream; that stream loaded into a second QEMU 10.0,
    /// which migrates it with mapped-ram (QEMU migrates a guest once: after that it is paused "due to previous
    /// migration").
    /// </summary>
    [Fact]
    public void Qemu10Streams_PlainAndMappedRam_ExportEqualsDumpGuestMemory()
    {
        string[] machine = ["-M", "pc-i440fx-10.0", "-m", "32"];
        var elf = Path.Combine(_dir, "q10.elf");
        var plain = Path.Combine(_dir, "q10.mig");
        var mapped = Path.Combine(_dir, "q10-mapped.mig");
        using (var q = Qemu10.Start(machine))
        {
            Thread.Sleep(1000);
            q.Execute("stop");
            QemuGuestLayoutTests.DumpGuestMemory(q, elf);
            q.MigrateToFile(plain, TimeSpan.FromSeconds(60));
        }
        using (var q = Qemu10.Start([.. machine, "-S", "-incoming", "defer"]))
        {
            q.Execute("migrate-incoming", new JsonObject { ["uri"] = "file:" + plain });
            q.WaitForMigrationStatus(TimeSpan.FromSeconds(60), "completed");
            q.Execute("migrate-set-capabilities", new JsonObject { ["capabilities"] = Capabilities("mapped-ram", "multifd") });
            q.Execute("migrate", new JsonObject { ["uri"] = "file:" + mapped });
            q.WaitForMigrationStatus(TimeSpan.FromSeconds(60), "completed");
        }
        Assert.Contains("mapped-ram", Qevm("info", mapped).Out, StringComparison.Ordinal);
        ElfExportAssert.ExportEquals(_dir, elf, plain);
        ElfExportAssert.ExportEquals(_dir, elf, mapped);
    }

    /// <summary>
    /// x-ignore-shared with the guest's RAM in a shared memory-backend-file: the stream has no pages of that block;
    /// without --ram-file export says so, with it the core equals QEMU's.
    /// </summary>
    [Fact]
    public void IgnoreShared_ExportWithRamFileEqualsDumpGuestMemory()
    {
        var ram = Path.Combine(_dir, "ram.img");
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "shared", q =>
        {
            q.Execute("cont");
            Thread.Sleep(1000);
            q.Execute("stop");
            q.Execute("migrate-set-capabilities", new JsonObject { ["capabilities"] = Capabilities("x-ignore-shared") });
        }, "-M", "pc-i440fx-7.2,memory-backend=m", "-m", "64", "-object", $"memory-backend-file,id=m,size=64M,mem-path={ram},share=on");
        // The stream is small: the 64 MiB block's pages are not in it.
        Assert.True(new FileInfo(mig).Length < 8 << 20);

        var (code, _, err) = Qevm("export", mig, "-o", Path.Combine(_dir, "no-file.elf"), "--format", "elf");
        Assert.Equal(1, code);
        Assert.Equal("qevm: RAM block 'm' has no pages in the stream: it was saved with x-ignore-shared, which leaves shared memory in its memory-backend file: give --ram-file m=PATH", err.TrimEnd());

        ElfExportAssert.ExportEquals(_dir, elf, mig, 3, "--ram-file", "m=" + ram);
    }
}
