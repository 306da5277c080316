namespace Qevm.Tests.Wire;

// The one walk over a mapped-ram bitmap (§11.6): 64-bit little-endian host longs, bit i = page i.
public sealed class MappedRamRegionTests
{
    [Fact]
    public void PresentPages_AreTheSetBits_InOrder_WithTheirOffsets()
    {
        // 130 pages of 4 KiB: three longs; pages 0, 9, 63, 64 and 129 present.
        var region = new MappedRamRegion(Length: 0x90000, BitmapAt: 0x100, PagesAt: 0x1000, PageSize: 4096, Pages: 130);
        byte[] bitmap =
        [
            0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, // long 0: bits 0, 9, 63
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // long 1: bit 64
            0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // long 2: bit 129
        ];
        Assert.Equal(24, region.BitmapLength);
        var pages = new List<MappedRamPage>();
        foreach (var p in region.PresentPages(bitmap)) pages.Add(p);
        Assert.Equal([0L, 9, 63, 64, 129], pages.Select(p => p.Index));
        Assert.Equal([0ul, 0x9000, 0x3F000, 0x40000, 0x81000], pages.Select(p => p.BlockOffset));
        Assert.Equal([0x1000L, 0xA000, 0x40000, 0x41000, 0x82000], pages.Select(p => p.At));
        Assert.Equal(5, region.PresentPages(bitmap).Count());
    }

    [Fact]
    public void PresentPages_IgnoreBitsPastTheBlocksLastPage()
    {
        // 3 pages: only bits 0..2 of the one long count; QEMU never sets the others, a damaged file might.
        var region = new MappedRamRegion(0x4000, 0, 0x1000, 4096, 3);
        byte[] bitmap = [0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        var pages = new List<long>();
        foreach (var p in region.PresentPages(bitmap)) pages.Add(p.Index);
        Assert.Equal([2L], pages);
    }

    [Fact]
    public void PresentPages_RefuseAShortBitmap()
    {
        var region = new MappedRamRegion(0x100000, 0, 0x1000, 4096, 65);
        Assert.Throws<ArgumentException>(() => region.PresentPages(new byte[8]));
    }

    [Fact]
    public void Of_MakesTheHeadersOffsetsRelativeToTheRegion()
    {
        var block = new RamBlock
        {
            Name = "pc.ram", NameBytes = "pc.ram"u8.ToArray(), UsedLength = 0x8000,
            MappedRam = new MappedRamHeader(1, 0x1000, BitmapOffset: 0x1200, PagesOffset: 0x2000),
        };
        // A libvirt image: the file QEMU wrote starts 0x100 into the input, the region at 0x180 of the input.
        var region = MappedRamRegion.Of(block, start: 0x180, length: 0x9E80, mappedRamBase: 0x100);
        Assert.Equal(new MappedRamRegion(0x9E80, 0x1200 - 0x100 - 0x180, 0x2000 - 0x100 - 0x180, 0x1000, 8), region);
        Assert.Equal(0x2000 - 0x280 + 3 * 0x1000, region.PageAt(3));
    }
}
