using static Qevm.Tests.Wire.WireBytes;

namespace Qevm.Tests.Wire;

/// <summary>Iterative sections other than RAM (FORMAT.md §12): block, dirty-bitmap, spapr/htab, s390 storage attributes, VFIO.</summary>
public class IterativeSectionTests
{
    private static readonly byte[] Chunk = Pattern(0x100000, 3);

    // §12.1 (7.2): START = EOS; PART = PROGRESS, DEVICE_BLOCK (1 MiB), ZERO_BLOCK, PROGRESS 50, EOS; END = PROGRESS 100, EOS.
    private static byte[] BlockStream() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* START */ 0x01, /* id 1 */ 0x00, 0x00, 0x00, 0x01).Add(Str8("block"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(27).Add(/* EOS */ Be64(0x02))
        .At(35).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x01)
        .At(40).Add(/* PART */ 0x02, /* id 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(45).Add(/* PROGRESS 0 */ Be64(0x04))
        .At(53).Add(/* DEVICE_BLOCK sector 0 */ Be64(0x01)).Add(/* device */ Str8("d0")).Add(/* 1 MiB */ Chunk)
        .At(1048640).Add(/* DEVICE_BLOCK|ZERO_BLOCK sector 2048 */ Be64((2048ul << 9) | 0x09)).Add(/* device */ Str8("d0"))
        .At(1048651).Add(/* PROGRESS 50 */ Be64((50ul << 9) | 0x04))
        .At(1048659).Add(/* EOS */ Be64(0x02))
        .At(1048667).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x01)
        .At(1048672).Add(/* END */ 0x03, /* id 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(1048677).Add(/* PROGRESS 100 */ Be64(0xC804))
        .At(1048685).Add(/* EOS */ Be64(0x02))
        .At(1048693).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x01)
        .At(1048698).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void Block_ChunksProgressAndEos()
    {
        var recs = WireReader.ReadAll(BlockStream());
        WireReader.AssertSection(1, "block", 0, 1, recs[1].Section);
        var start = Assert.Single(recs[1].Items).Item;
        Assert.Equal(IterativeItemKind.BlockEos, start.Kind);
        Assert.Equal(27, start.Offset);

        var part = recs[3].Items;
        Assert.Equal(
            [IterativeItemKind.BlockProgress, IterativeItemKind.BlockChunk, IterativeItemKind.BlockChunk, IterativeItemKind.BlockProgress, IterativeItemKind.BlockEos],
            part.Select(x => x.Item.Kind));
        Assert.Equal([45L, 53, 1048640, 1048651, 1048659], part.Select(x => x.Item.Offset));
        Assert.Equal([8L, 8 + 3 + 0x100000, 11, 8, 8], part.Select(x => x.Item.Length));
        Assert.Equal([0x04ul, 0x01, 0x09, 0x04, 0x02], part.Select(x => x.Item.Flags));
        Assert.Equal(0ul, part[0].Item.Progress);
        Assert.Equal([0ul, 2048], part.Skip(1).Take(2).Select(x => x.Item.Sector));
        Assert.Equal(50ul, part[3].Item.Progress);
        Assert.Equal(0ul, part[3].Item.Sector); // a percentage, not a sector
        Assert.Equal(11, part[1].Item.DataOffset);
        Assert.Equal(0x100000, part[1].Item.DataLength);
        Assert.Equal(Chunk, part[1].Data);
        Assert.Equal(0, part[2].Item.DataLength);

        var end = recs[5].Items;
        Assert.Equal([IterativeItemKind.BlockProgress, IterativeItemKind.BlockEos], end.Select(x => x.Item.Kind));
        Assert.Equal(100ul, end[0].Item.Progress);
        Assert.Equal(1048698, recs[^1].RecordOffset);
    }

    [Fact]
    public void Block_CopyIsIdentical() => WireReader.AssertCopyIdentical(BlockStream());

    [Fact]
    public void Block_UnknownFlags_AreRejected()
    {
        // §12.1 / §17.10: none of DEVICE_BLOCK, PROGRESS, EOS → "Unknown block migration flags: 0x%x".
        byte[] data = Cat(Header, StartOrFull(0x01, 1, "block", 0, 1), /* 0x1B flags 0x10 */ Be64(0x10), Footer(1), [0x00]);
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadIterativeData, e.Error);
        Assert.Equal(27, e.Offset);
        Assert.Equal("Unknown block migration flags: 0x10", e.QemuMessage);
    }

    // §12.2: START = START chunk with node and bitmap names, EOS; END = BITS|ZEROES, BITS with data, COMPLETE, EOS.
    private static byte[] DirtyBitmapStream() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* START */ 0x01, /* id 3 */ 0x00, 0x00, 0x00, 0x03).Add(Str8("dirty-bitmap"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(34).Add(/* flags START|DEVICE_NAME|BITMAP_NAME */ 0x1C).Add(/* node alias */ Str8("node0")).Add(/* bitmap alias */ Str8("bitmap0"))
        .Add(/* be32 granularity 64 KiB */ 0x00, 0x01, 0x00, 0x00, /* bitmap flags enabled|persistent */ 0x03)
        .At(54).Add(/* EOS */ 0x01)
        .At(55).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x03)
        .At(60).Add(/* END */ 0x03, /* id 3 */ 0x00, 0x00, 0x00, 0x03)
        .At(65).Add([/* flags BITS|ZEROES */ 0x42, /* be64 first sector */ .. Be64(0), /* be32 sector count */ .. Be32(0x800)])
        .At(78).Add([/* flags BITS */ 0x40, /* be64 first sector */ .. Be64(0x800), /* be32 sector count */ .. Be32(0x800)])
        .Add(/* be64 buffer size 32 */ Be64(32)).Add(/* little-endian bitmap */ Pattern(32, 4))
        .At(131).Add(/* COMPLETE */ 0x20)
        .At(132).Add(/* EOS */ 0x01)
        .At(133).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x03)
        .At(138).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void DirtyBitmap_StartBitsZeroesCompleteEos()
    {
        var recs = WireReader.ReadAll(DirtyBitmapStream());
        WireReader.AssertSection(3, "dirty-bitmap", 0, 1, recs[1].Section);
        var start = recs[1].Items.Select(x => x.Item).ToList();
        Assert.Equal([IterativeItemKind.BitmapChunk, IterativeItemKind.BitmapEos], start.Select(i => i.Kind));
        Assert.Equal([34L, 54], start.Select(i => i.Offset));
        Assert.Equal([20L, 1], start.Select(i => i.Length));
        Assert.Equal(0x1Cul, start[0].Flags);

        var end = recs[3].Items.Select(x => x.Item).ToList();
        Assert.Equal(
            [IterativeItemKind.BitmapChunk, IterativeItemKind.BitmapChunk, IterativeItemKind.BitmapChunk, IterativeItemKind.BitmapEos],
            end.Select(i => i.Kind));
        Assert.Equal([65L, 78, 131, 132], end.Select(i => i.Offset));
        Assert.Equal([13L, 53, 1, 1], end.Select(i => i.Length));
        Assert.Equal([0x42ul, 0x40, 0x20, 0x01], end.Select(i => i.Flags));
        Assert.Equal(133, recs[4].RecordOffset);
        WireReader.AssertCopyIdentical(DirtyBitmapStream());
    }

    [Fact]
    public void DirtyBitmap_ReservedBitmapFlags_AreRejected()
    {
        // §12.2 / §17.10: bitmap flags 0xF8 are reserved → "Unknown flags in migrated dirty bitmap header: %x".
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(StartOrFull(0x01, 3, "dirty-bitmap", 0, 1))
            .At(34).Add(/* flags START|DEVICE_NAME|BITMAP_NAME */ 0x1C).Add(Str8("node0")).Add(Str8("bitmap0"))
            .Add(/* granularity */ 0x00, 0x01, 0x00, 0x00)
            .At(53).Add(/* bitmap flags with reserved bit 0x08 */ 0x0B)
            .Add(/* EOS */ 0x01).Add(Footer(3)).Add(/* EOF */ 0x00)
            .ToArray();
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadIterativeData, e.Error);
        Assert.Equal(53, e.Offset);
        Assert.Equal("Unknown flags in migrated dirty bitmap header: b", e.QemuMessage);
    }

    [Fact]
    public void DirtyBitmap_BufferAbove10240_IsTooLarge()
    {
        // §12.2 / §17.10: BITS buffer size B > 10240 → "Bitmap migration stream buffer allocation request is too large".
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(StartOrFull(0x01, 3, "dirty-bitmap", 0, 1))
            .At(34).Add([/* flags BITS|DEVICE_NAME|BITMAP_NAME */ 0x4C, .. Str8("node0"), .. Str8("bitmap0")])
            .At(49).Add([/* be64 first sector */ .. Be64(0), /* be32 count */ .. Be32(0x800)])
            .At(61).Add(/* be64 buffer size 10248 */ Be64(10248))
            .Add(new byte[10248]).Add(/* EOS */ 0x01).Add(Footer(3)).Add(/* EOF */ 0x00)
            .ToArray();
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadIterativeData, e.Error);
        Assert.Equal(61, e.Offset);
        Assert.Equal("Bitmap migration stream buffer allocation request is too large", e.QemuMessage);
    }

    // §12.2: 2- and 4-byte flag headers; only the last byte read counts.
    private static byte[] DirtyBitmapLongFlags() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(StartOrFull(0x03, 3, "dirty-bitmap", 0, 1)[..5])
        .At(13).Add(/* 2-byte header, flags COMPLETE */ 0x80, 0x20)
        .At(15).Add(/* 4-byte header, flags EOS */ 0x80, 0x80, 0x00, 0x01)
        .At(19).Add(Footer(3))
        .At(24).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void DirtyBitmap_MultiByteFlagHeaders_LastByteCounts()
    {
        // The END refers to a section started earlier: give it a START first.
        byte[] data = Cat(Header, StartOrFull(0x01, 3, "dirty-bitmap", 0, 1), [/* EOS */ 0x01], Footer(3), DirtyBitmapLongFlags()[8..]);
        // START at 8 (26 bytes header), EOS at 34, footer at 35, END at 40, items at 45 and 47, footer at 51, EOF at 56.
        var recs = WireReader.ReadAll(data);
        var end = recs.Single(x => x.Type == RecordType.SectionEnd).Items.Select(x => x.Item).ToList();
        Assert.Equal(2, end.Count);
        Assert.Equal([45L, 47], end.Select(i => i.Offset));
        Assert.Equal([2L, 4], end.Select(i => i.Length));
        Assert.Equal([0x20ul, 0x01], end.Select(i => i.Flags));
        Assert.Equal(51, recs.Last(x => x.Type == RecordType.SectionFooter).RecordOffset);
        Assert.Equal(56, recs[^1].RecordOffset);
        WireReader.AssertCopyIdentical(data);
    }

    [Fact]
    public void DirtyBitmap_FourByteEosHeader_IsTheEosRecord()
    {
        // §12.2: a 4-byte header whose last byte is 0x01 is the EOS that ends the section data.
        byte[] data = Cat(Header, StartOrFull(0x01, 3, "dirty-bitmap", 0, 1), [/* EOS */ 0x01], Footer(3), DirtyBitmapLongFlags()[8..]);
        var recs = WireReader.ReadAll(data);
        var end = recs.Single(x => x.Type == RecordType.SectionEnd).Items;
        Assert.Equal(IterativeItemKind.BitmapEos, end[^1].Item.Kind);
    }

    // §12.3 Verified shape: START = shift; PART = 0 + chunk + end marker; END = 0xFFFFFFFF (no HPT).
    private static byte[] HtabStream() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* START */ 0x01, /* id 4 */ 0x00, 0x00, 0x00, 0x04).Add(Str8("spapr/htab"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(32).Add(/* be32 htab_shift 21 */ 0x00, 0x00, 0x00, 0x15)
        .At(36).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x04)
        .At(41).Add(/* PART */ 0x02, /* id 4 */ 0x00, 0x00, 0x00, 0x04)
        .At(46).Add(/* be32 header 0: chunks follow */ 0x00, 0x00, 0x00, 0x00)
        .At(50).Add(/* be32 index 8 */ 0x00, 0x00, 0x00, 0x08, /* be16 n_valid 2 */ 0x00, 0x02, /* be16 n_invalid 1 */ 0x00, 0x01)
        .Add(/* 2 × 16-byte HPTE */ Pattern(32, 5))
        .At(90).Add(/* end marker */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00)
        .At(98).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x04)
        .At(103).Add(/* END */ 0x03, /* id 4 */ 0x00, 0x00, 0x00, 0x04)
        .At(108).Add(/* be32 0xFFFFFFFF: no HPT */ 0xFF, 0xFF, 0xFF, 0xFF)
        .At(112).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x04)
        .At(117).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void Htab_ShiftChunkEndMarker()
    {
        var recs = WireReader.ReadAll(HtabStream());
        WireReader.AssertSection(4, "spapr/htab", 0, 1, recs[1].Section);
        var start = Assert.Single(recs[1].Items).Item;
        Assert.Equal(IterativeItemKind.HtabHeader, start.Kind);
        Assert.Equal(32, start.Offset);
        Assert.Equal(4, start.Length);
        Assert.Equal(21u, start.HtabShift);

        var part = recs[3].Items;
        Assert.Equal([IterativeItemKind.HtabHeader, IterativeItemKind.HtabChunk, IterativeItemKind.HtabEnd], part.Select(x => x.Item.Kind));
        Assert.Equal([46L, 50, 90], part.Select(x => x.Item.Offset));
        Assert.Equal([4L, 40, 8], part.Select(x => x.Item.Length));
        Assert.Equal(0u, part[0].Item.HtabShift);
        Assert.Equal(8u, part[1].Item.HpteIndex);
        Assert.Equal(0u, part[1].Item.HtabShift);
        Assert.Equal(8, part[1].Item.DataOffset);
        Assert.Equal(32, part[1].Item.DataLength);
        Assert.Equal(Pattern(32, 5), part[1].Data);

        var end = Assert.Single(recs[5].Items).Item;
        Assert.Equal(IterativeItemKind.HtabHeader, end.Kind);
        Assert.Equal(0xFFFFFFFFu, end.HtabShift);
        Assert.Equal(112, recs[6].RecordOffset);
        WireReader.AssertCopyIdentical(HtabStream());
    }

    // §12.4 Verified shape: START = EOS; PART = MORE, EOS; END = DONE, EOS.
    private static byte[] StorageAttributesStream() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* START */ 0x01, /* id 5 */ 0x00, 0x00, 0x00, 0x05).Add(Str8("s390-storage_attributes"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 0 */ 0x00, 0x00, 0x00, 0x00)
        .At(45).Add(/* EOS */ Be64(0x01))
        .At(53).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x05)
        .At(58).Add(/* PART */ 0x02, /* id 5 */ 0x00, 0x00, 0x00, 0x05)
        .At(63).Add(/* MORE, gfn 0x10 */ Be64((0x10ul << 12) | 0x02)).Add(/* be64 count */ Be64(4)).Add(/* attributes */ 0x06, 0x06, 0x06, 0x06)
        .At(83).Add(/* EOS */ Be64(0x01))
        .At(91).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x05)
        .At(96).Add(/* END */ 0x03, /* id 5 */ 0x00, 0x00, 0x00, 0x05)
        .At(101).Add(/* DONE */ Be64(0x08))
        .At(109).Add(/* EOS */ Be64(0x01))
        .At(117).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x05)
        .At(122).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void StorageAttributes_MoreDoneEos()
    {
        var recs = WireReader.ReadAll(StorageAttributesStream());
        WireReader.AssertSection(5, "s390-storage_attributes", 0, 0, recs[1].Section);
        Assert.Equal(IterativeItemKind.StorageAttributesEos, Assert.Single(recs[1].Items).Item.Kind);
        var part = recs[3].Items;
        Assert.Equal([IterativeItemKind.StorageAttributesMore, IterativeItemKind.StorageAttributesEos], part.Select(x => x.Item.Kind));
        var more = part[0].Item;
        Assert.Equal(63, more.Offset);
        Assert.Equal(20, more.Length);
        Assert.Equal(0x10ul, more.Frame);
        Assert.Equal(16, more.DataOffset);
        Assert.Equal(4, more.DataLength);
        Assert.Equal("06060606", Convert.ToHexString(part[0].Data));
        var end = recs[5].Items;
        Assert.Equal([IterativeItemKind.StorageAttributesDone, IterativeItemKind.StorageAttributesEos], end.Select(x => x.Item.Kind));
        Assert.Equal([101L, 109], end.Select(x => x.Item.Offset));
        Assert.Equal(122, recs[^1].RecordOffset);
        WireReader.AssertCopyIdentical(StorageAttributesStream());
    }

    [Theory]
    [InlineData(0x04ul, "Storage attributes data is incomplete")]
    [InlineData(0x03ul, "Unexpected storage attribute flag data: 0x3")]
    public void StorageAttributes_ErrorAndUnknownFlags_AreRejected(ulong record, string message)
    {
        // §12.4 / §17.10: ERROR → "Storage attributes data is incomplete"; other values → "%#x".
        byte[] data = Cat(Header, StartOrFull(0x01, 5, "s390-storage_attributes", 0, 0), /* 0x2D */ Be64(record), Be64(0x01), Footer(5), [0x00]);
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadIterativeData, e.Error);
        Assert.Equal(45, e.Offset);
        Assert.Equal(message, e.QemuMessage);
    }

    [Fact]
    public void Vfio_IterativeDataIsOpaqueAndDelimitedByItsFooter()
    {
        // §12.5 / §9.4 step 1: VFIO is the only iterative data that is opaque; the footer delimits it.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(StartOrFull(0x01, 40, "0000:00:02.0/vfio", 0, 1))
            .At(39).Add(/* DEV_SETUP_STATE */ Be64(0xFFFFFFFFEF100003)).Add(/* END_OF_STATE */ Be64(0xFFFFFFFFEF100001))
            .At(55).Add(Footer(40))
            .At(60).Add(/* EOF */ 0x00)
            .ToArray();
        var recs = WireReader.ReadAll(data);
        var item = Assert.Single(recs[1].Items);
        Assert.Equal(IterativeItemKind.Opaque, item.Item.Kind);
        Assert.Equal(39, item.Item.Offset);
        Assert.Equal(16, item.Item.Length);
        Assert.Equal("FFFFFFFFEF100003FFFFFFFFEF100001", Convert.ToHexString(item.Data));
        Assert.Equal(55, recs[2].RecordOffset);
        WireReader.AssertCopyIdentical(data);
    }
}
