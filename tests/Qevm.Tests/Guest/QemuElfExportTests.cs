using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// <c>qevm export --format elf</c> of a stream equals QEMU 7.2's <c>dump-guest-memory</c> (paging off) of the same
/// paused guest: ELF header, section headers, program headers, notes and every PT_LOAD's bytes.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuElfExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-elf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pc32MiB_ExportEqualsDumpGuestMemory()
    {
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "pc32", "-M", "pc-i440fx-7.2", "-m", "32");
        AssertExportEquals(elf, mig);

        // A gzip-compressed stream gives the same core: both passes decompress it again.
        var gz = mig + ".gz";
        using (var src = File.OpenRead(mig))
        using (var dst = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Fastest))
            src.CopyTo(dst);
        AssertExportEquals(elf, gz);
    }

    /// <summary>
    /// After SeaBIOS has run: PAM maps RAM over 0xC0000-0xFFFFF, and the VGA's BAR 0 maps vga.vram in the PCI hole
    /// while its legacy window 0xA0000-0xBFFFF is MMIO (no range). Two CPUs: two "CORE" notes, then two "QEMU" notes.
    /// </summary>
    [Fact]
    public void Q35WithVga_AfterSeaBios_ExportEqualsDumpGuestMemory()
    {
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "q35vga", RunUntilVgaMapped, "-M", "pc-q35-7.2", "-m", "64", "-smp", "2", "-device", "VGA");
        AssertExportEquals(elf, mig);
        using var f = File.OpenRead(mig);
        var layout = Qevm.Guest.GuestPhysicalLayout.Read(f);
        Assert.Contains(layout.Ranges, r => r.Block == "0000:00:01.0/vga.vram" && r.Length == 16 << 20);
        Assert.Contains(layout.Ranges, r => r.Address == 0xC0000 && r.Block == "pc.ram");
        Assert.DoesNotContain(layout.Ranges, r => r.Address <= 0xA0000 && r.End > 0xA0000);
    }

    /// <summary>
    /// A guest in long mode: Debian's kernel booted without a root file system, stopped once it has panicked
    /// (<c>panic=0</c> keeps it there). The core is EM_X86_64 with the x86-64 NT_PRSTATUS (336 bytes).
    /// </summary>
    [Fact]
    public void LongModeGuest_ExportEqualsDumpGuestMemory()
    {
        var kernel = KernelPath();
        var serial = Path.Combine(_dir, "serial.log");
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "linux", q => RunUntilPanic(q, serial),
            "-M", "pc-i440fx-7.2", "-m", "128", "-kernel", kernel, "-append", "console=ttyS0 panic=0", "-serial", "file:" + serial);
        AssertExportEquals(elf, mig, expectedMachine: 62);
        // The "CORE" note's descriptor is the x86-64 prstatus, with pr_pid = cpu index + 1.
        var q = File.ReadAllBytes(elf);
        var note = ElfCoreFile.Read(elf).ProgramHeaders[0];
        Assert.Equal(336u, BitConverter.ToUInt32(q, (int)note.Offset + 4));
        Assert.Equal(1u, BitConverter.ToUInt32(q, (int)note.Offset + 20 + 32));
    }

    /// <summary>Debian's kernel the long-mode tests boot (QEVM_LINUX_KERNEL, else the cache scripts/get-linux-kernel.sh fills).</summary>
    internal static string KernelPath()
    {
        var kernel = Environment.GetEnvironmentVariable("QEVM_LINUX_KERNEL") is { Length: > 0 } k ? k
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "qevm", "kernel", "vmlinuz");
        Assert.True(File.Exists(kernel), $"no kernel at {kernel}: run `bash scripts/get-linux-kernel.sh` (scripts/test.sh does) or set QEVM_LINUX_KERNEL");
        return kernel;
    }

    /// <summary>Runs the guest until its serial log shows the kernel's panic, then stops it.</summary>
    internal static void RunUntilPanic(QemuProcess q, string serial)
    {
        q.Execute("cont");
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!(File.Exists(serial) && ReadShared(serial).Contains("Kernel panic", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the kernel did not reach its panic");
            Thread.Sleep(500);
        }
        q.Execute("stop");
    }

    private static string ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(f).ReadToEnd();
    }

    // Runs the guest until SeaBIOS has given the VGA's BAR 0 an address, a moment more (it enables memory decoding
    // after assigning), then stops it.
    private static void RunUntilVgaMapped(QemuProcess q)
    {
        q.Execute("cont");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var bus = q.Execute("query-pci")[0].GetProperty("devices");
            var vga = bus.EnumerateArray().First(d => d.GetProperty("slot").GetInt32() == 1);
            long address = vga.GetProperty("regions")[0].GetProperty("address").GetInt64();
            if (address is not 0 and not -1 and not 0xFFFFFFFF) break;
            Assert.True(DateTime.UtcNow < deadline, "SeaBIOS did not map the VGA's BAR 0");
            Thread.Sleep(200);
        }
        Thread.Sleep(2000);
        q.Execute("stop");
    }

    private void AssertExportEquals(string elf, string mig, ushort expectedMachine = 3) => ElfExportAssert.ExportEquals(_dir, elf, mig, expectedMachine);
}
