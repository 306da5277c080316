using System.Text.Json.Nodes;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// A hot-plugged DIMM (pc-dimm, its backend block d1): QEMU maps it in the device-memory region at 4 GiB, which the
/// stream does not hold. Export and memory map say so in one line; with <c>--layout</c> (the ranges of QEMU's
/// <c>memory map</c> plus the DIMM's) the core equals QEMU's dump-guest-memory.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuDimmLayoutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-dimm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Qevm(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    [Fact]
    public void PcDimm_NeedsLayout_WithItExportEqualsDumpGuestMemory()
    {
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "dimm", "-M", "pc-i440fx-7.2", "-m", "32,slots=2,maxmem=1G",
            "-object", "memory-backend-ram,id=d1,size=64M", "-device", "pc-dimm,memdev=d1,id=dimm1");

        const string Refusal = "qevm: RAM block 'd1' (0x4000000 bytes) is not part of the machine's RAM: hot-plugged memory (a pc-dimm, nvdimm or virtio-mem device) whose guest-physical address the stream does not hold; give the ranges in a layout file (--layout)";
        foreach (var command in (string[][])[["memory", "map", mig], ["export", mig, "-o", Path.Combine(_dir, "no.elf"), "--format", "elf"]])
        {
            var (code, _, err) = Qevm(command);
            Assert.Equal(1, code);
            Assert.Equal(Refusal, err.TrimEnd());
        }

        // The layout file: QEMU's ranges for this guest (paused before SeaBIOS), and the DIMM at the device-memory base.
        var layout = new JsonObject
        {
            ["ranges"] = new JsonArray(
                Range(0, "pc.ram", 0, 0xc0000), Range(0xc0000, "pc.rom", 0, 0x20000), Range(0xe0000, "pc.bios", 0x20000, 0x20000),
                Range(0x100000, "pc.ram", 0x100000, 0x1f00000), Range(0xfffc0000, "pc.bios", 0, 0x40000),
                Range(0x100000000, "d1", 0, 0x4000000)),
        };
        var file = Path.Combine(_dir, "layout.json");
        File.WriteAllText(file, layout.ToJsonString());
        ElfExportAssert.ExportEquals(_dir, elf, mig, 3, "--layout", file);

        var (c, dump, e) = Qevm("memory", "read", mig, "0x100000000", "16", "--layout", file);
        Assert.True(c == 0, e);
        Assert.StartsWith("100000000: 0000 0000", dump, StringComparison.Ordinal);

        // A range outside its block is refused.
        File.WriteAllText(file, new JsonArray(Range(0x100000000, "d1", 0x1000, 0x4000000)).ToJsonString());
        var (c2, _, e2) = Qevm("export", mig, "-o", Path.Combine(_dir, "bad.elf"), "--format", "raw", "--layout", file);
        Assert.Equal(1, c2);
        Assert.Equal("qevm: layout: range 0x100000000 (0x4000000 bytes of 'd1' from 0x1000) lies outside the block (0x4000000 bytes)", e2.TrimEnd());
    }

    private static JsonObject Range(ulong address, string block, ulong offset, ulong length) =>
        new() { ["address"] = address, ["length"] = length, ["block"] = block, ["offset"] = offset };
}
