using Qevm.Guest;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// NUMA: two nodes, each a memory-backend-ram block (m0, m1), whose concatenation is the machine's RAM. After SeaBIOS
/// ran (its tables at the top of RAM, in node 1; its data low, in node 0) the core equals QEMU's dump-guest-memory,
/// so each range is taken from the right node's block.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuNumaExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-numa-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TwoNodes_ExportEqualsDumpGuestMemory()
    {
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "numa", q =>
        {
            q.Execute("cont");
            Thread.Sleep(1500);
            q.Execute("stop");
        }, "-M", "pc-i440fx-7.2", "-m", "64",
            "-object", "memory-backend-ram,id=m0,size=32M", "-numa", "node,memdev=m0",
            "-object", "memory-backend-ram,id=m1,size=32M", "-numa", "node,memdev=m1");
        ElfExportAssert.ExportEquals(_dir, elf, mig);

        using var f = File.OpenRead(mig);
        var layout = GuestPhysicalLayout.Read(f);
        Assert.Contains(layout.Ranges, r => r.Address == 0x2000000 && r.Block == "m1" && r.BlockOffset == 0 && r.Length == 32 << 20);
        Assert.Contains(layout.Ranges, r => r.Address == 0 && r.Block == "m0");
        Assert.Contains(layout.Notes, n => n.StartsWith("NUMA: the machine's RAM is the blocks m0, m1", StringComparison.Ordinal));
    }
}
