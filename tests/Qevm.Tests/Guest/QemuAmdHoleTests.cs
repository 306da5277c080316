using System.Globalization;
using System.Text.Json.Nodes;
using Qevm.Guest;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// RAM above 4 GiB at 1 TiB: QEMU 7.2 under TCG with <c>-cpu qemu64</c> (AuthenticAMD) and <c>maxmem=1T</c> maps the
/// 512 MiB above the 3 GiB split at 0x10000000000 (the 64-bit PCI hole after the device-memory region reaches the AMD
/// HyperTransport hole at 0xfd00000000); a pc-i440fx-7.0 machine keeps it at 4 GiB. The RAM is a sparse
/// memory-backend-file with pages of data on both sides of the split and at the end, so the moved range holds data.
/// The threshold on q35 (QEMU 7.2, and QEMU 10.0 the same) is checked against where QEMU's <c>info mtree</c> maps the RAM.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuAmdHoleTests : IDisposable
{
    private const ulong Above1TiB = 0x10000000000;
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-amdhole-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pc72_AmdWithMaxmem1T_RamAbove4GAt1TiB_ExportEqualsDumpGuestMemory()
    {
        var (q, mig) = StartAndMigrate("pc-i440fx-7.2");
        using (q)
        {
            Assert.Equal(Above1TiB, MtreeAbove4G(q));

            // Without hints the stream shows a hotplug slot, so the move is possible: 4 GiB and a note naming the options.
            var (code, text, err) = Run("memory", "map", mig);
            Assert.True(code == 0, err);
            Assert.Contains("  0x0000000100000000-0x000000011fffffff  mem+0xc0000000  (0x20000000 bytes)", text, StringComparison.Ordinal);
            Assert.Contains("note: RAM above 4 GiB is taken to start at 4 GiB: the guest has 1 memory-hotplug slot, and QEMU moves that RAM to 1 TiB for an AMD vCPU when maxmem reaches the HyperTransport hole at 0xfd00000000; give --cpu-vendor and --maxmem", text, StringComparison.Ordinal);
            (code, text, err) = Run("memory", "map", mig, "--cpu-vendor", "intel");
            Assert.True(code == 0, err);
            Assert.Contains("  0x0000000100000000-0x000000011fffffff  mem+0xc0000000  (0x20000000 bytes)", text, StringComparison.Ordinal);
            Assert.DoesNotContain("1 TiB", text, StringComparison.Ordinal);
            // The vendor alone: maxmem could put the PCI hole anywhere, so still the note, naming --maxmem only.
            (code, text, err) = Run("memory", "map", mig, "--cpu-vendor", "amd");
            Assert.True(code == 0, err);
            Assert.Contains("give --maxmem", text, StringComparison.Ordinal);
            (code, text, err) = Run("memory", "map", mig, "--cpu-vendor", "amd", "--maxmem", "1T");
            Assert.True(code == 0, err);
            Assert.Contains("  0x0000010000000000-0x000001001fffffff  mem+0xc0000000  (0x20000000 bytes)", text, StringComparison.Ordinal);
            Assert.DoesNotContain("note: RAM above 4 GiB", text, StringComparison.Ordinal);

            // memory read at 1 TiB equals QEMU's xp there (the first bytes of the page at RAM offset 3 GiB).
            var read = Path.Combine(_dir, "read.bin");
            (code, _, err) = Run("memory", "read", mig, "0x10000000000", "64", "-o", read, "--cpu-vendor", "amd", "--maxmem", "1024G");
            Assert.True(code == 0, err);
            var xp = QemuRawExportTests.XpBytes(q.Hmp("xp /64xb 0x10000000000"));
            Assert.Equal(xp, File.ReadAllBytes(read));
            Assert.Contains(xp, b => b != 0);

            // export equals QEMU's dump-guest-memory byte for byte, read from a FIFO (no 3.5 GiB dump on disk).
            var ours = Path.Combine(_dir, "ours.elf");
            (code, _, err) = Run("export", mig, "-o", ours, "--format", "elf", "--cpu-vendor", "amd", "--maxmem", "1T");
            Assert.True(code == 0, err);
            var (length, difference, headers) = DumpThroughFifo(q, ours);
            using var h = new MemoryStream(headers);
            var loads = ElfCoreFile.Read(h).ProgramHeaders.Where(p => p.Type == ElfProgramHeader.Load).Select(p => (p.PhysicalAddress, p.MemorySize)).ToList();
            Assert.Equal((Above1TiB, 0x20000000UL), loads[^1]);
            Assert.Equal(new FileInfo(ours).Length, length);
            Assert.True(difference < 0, $"first byte that differs from QEMU's dump: 0x{difference:x}");
        }
    }

    [Fact]
    public void Pc70_AmdWithMaxmem1T_RamAbove4GStaysAt4GiB()
    {
        var (q, mig) = StartAndMigrate("pc-i440fx-7.0");
        using (q)
        {
            Assert.Equal(0x100000000UL, MtreeAbove4G(q));
            // The machine type does not enforce the hole: 4 GiB whatever the hints, and no note.
            var (code, text, err) = Run("memory", "map", mig, "--cpu-vendor", "amd", "--maxmem", "1T");
            Assert.True(code == 0, err);
            Assert.Contains("  0x0000000100000000-0x000000011fffffff  mem+0xc0000000  (0x20000000 bytes)", text, StringComparison.Ordinal);
            Assert.DoesNotContain("note: RAM above 4 GiB", Run("memory", "map", mig).Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    // 3.5 GiB and 1 slot. q35 (split at 2 GiB, 32 GiB hole): the hole reaches 0xfd00000000 above 976.5 GiB of maxmem;
    // i440fx (split at 3 GiB, 2 GiB hole): above 1007.5 GiB.
    [InlineData("pc-q35-7.2", "999936M", 0x100000000UL)]
    [InlineData("pc-q35-7.2", "999937M", 0x10000000000UL)]
    [InlineData("pc-i440fx-7.2", "1031680M", 0x100000000UL)]
    [InlineData("pc-i440fx-7.2", "1031681M", 0x10000000000UL)]
    [InlineData("pc-q35-10.0", "1T", 0x10000000000UL)]
    public void MaxmemAroundTheThreshold_AsQemuMapsIt(string machine, string maxmem, ulong expected)
    {
        var args = new[] { "-M", machine, "-m", "3584M,slots=1,maxmem=" + maxmem, "-cpu", "qemu64,phys-bits=48", "-S" };
        using var q = machine.EndsWith("10.0", StringComparison.Ordinal) ? Qemu10.Start(args) : QemuProcess.Start(args);
        bool q35 = machine.StartsWith("pc-q35-", StringComparison.Ordinal);
        ulong below = q35 ? 2UL << 30 : 3UL << 30;
        Assert.Equal(expected, MtreeAbove4G(q, FormattableString.Invariant($"pc.ram @{below:x16}")));
        var hints = new GuestLayoutHints { CpuVendor = X86CpuVendor.Amd, MaxRamSize = GuestLayoutHints.ParseSize(maxmem, "maxmem") };
        Assert.Equal(expected, Above4GMemStart.Of(machine, q35 ? GuestMachine.Q35 : GuestMachine.I440fx, 3584UL << 20, (3584UL << 20) - below, 1, hints, []));
    }

    private (QemuProcess Qemu, string Mig) StartAndMigrate(string machine)
    {
        var image = Path.Combine(_dir, machine + ".img");
        var rnd = new Random(72);
        using (var f = new FileStream(image, FileMode.Create))
        {
            f.SetLength(3584L << 20);
            foreach (long at in (long[])[0, 0xBFFFF000, 0xC0000000, 0xDFFFF000])
            {
                var page = new byte[4096];
                rnd.NextBytes(page);
                f.Position = at;
                f.Write(page);
            }
        }
        var q = QemuProcess.Start(["-machine", machine + ",memory-backend=mem", "-m", "3584M,slots=1,maxmem=1T",
            "-cpu", "qemu64,phys-bits=48", "-object", $"memory-backend-file,id=mem,size=3584M,mem-path={image},share=off", "-S"]);
        var mig = Path.Combine(_dir, machine + ".mig");
        q.Execute("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 100L << 30 });
        q.MigrateToFile(mig, TimeSpan.FromSeconds(300));
        return (q, mig);
    }

    // QEMU's dump-guest-memory into a FIFO, compared with our file while it is read (QemuLargeGuestTests.CompareWithFifo).
    private (long Length, long Difference, byte[] Headers) DumpThroughFifo(QemuProcess q, string ours)
    {
        var fifo = Path.Combine(_dir, "dump.fifo");
        Assert.Equal(0, ProgramRunner.Run("mkfifo", fifo).Code);
        var compare = Task.Run(() => QemuLargeGuestTests.CompareWithFifo(fifo, ours));
        q.Execute("dump-guest-memory", new JsonObject { ["paging"] = false, ["protocol"] = "file:" + fifo, ["detach"] = true });
        Assert.True(compare.Wait(TimeSpan.FromMinutes(5)), "reading QEMU's dump did not finish");
        Assert.Equal("completed", q.Execute("query-dump").GetProperty("status").GetString());
        return compare.Result;
    }

    // QEMU's own view: where `info mtree -f` maps the RAM from offset 3 GiB (ram-above-4g).
    private static ulong MtreeAbove4G(QemuProcess q, string region = "mem @00000000c0000000")
    {
        var line = q.Hmp("info mtree -f").Split('\n').First(l => l.Contains("(prio 0, ram): " + region, StringComparison.Ordinal));
        return ulong.Parse(line.AsSpan().Trim()[..16], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => Qevm.Tests.Cli.QevmCli.Run(args);
}
