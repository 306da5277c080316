using Qevm.Guest;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// x86 <c>microvm</c>: RAM from 0 with the BIOS's alias over it below 1 MiB, no VGA window or PAM. QEMU 7.2 runs the
/// guest's firmware (qboot) for a moment, then writes dump-guest-memory and migrates; the export equals the dump.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuMicrovmTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-microvm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Microvm32MiB_AfterItsFirmwareRan_ExportEqualsDumpGuestMemory()
    {
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "microvm", q =>
        {
            q.Execute("cont");
            Thread.Sleep(1000);
            q.Execute("stop");
        }, "-M", "microvm", "-m", "32");

        GuestPhysicalLayout layout;
        using (var m = File.OpenRead(mig)) layout = GuestPhysicalLayout.Read(m);
        Assert.Equal(GuestMachine.Microvm, layout.Machine);
        Assert.Equal(
            [(0x0UL, "microvm.ram", 0x0UL, 0xF0000UL), (0xF0000UL, "pc.bios", 0x0UL, 0x10000UL), (0x100000UL, "microvm.ram", 0x100000UL, 0x1F00000UL),
             (0xFFFF0000UL, "pc.bios", 0x0UL, 0x10000UL)],
            layout.Ranges.Select(r => (r.Address, r.Block, r.BlockOffset, r.Length)));
        ElfExportAssert.ExportEquals(_dir, elf, mig);
        // The firmware ran: it wrote into the RAM below 0xF0000 (its tables), so the first PT_LOAD is not all zero.
        var low = ElfCoreFile.Read(elf).ProgramHeaders[1];
        Assert.Equal(0x0UL, low.PhysicalAddress);
        Assert.Contains(File.ReadAllBytes(elf).AsSpan((int)low.Offset, (int)low.FileSize).ToArray(), b => b != 0);
    }
}
