using Qevm.Tests.Corpus;
using static Qevm.Tests.Wire.WireBytes;

namespace Qevm.Tests.Wire;

/// <summary>The <c>ram</c> iterative section (FORMAT.md §11).</summary>
public class RamTests
{
    // 41-byte zlib stream (level 1) of a 4 KiB zero page: §11.5 COMPRESS_PAGE payload.
    private static readonly byte[] ZlibZeroPage = Convert.FromHexString(
        "7801EDD0010D000000C2A0F74F6D0F0711280C183060C0800103060C183060C08081F7810110000001");

    private static readonly byte[] RamPage = Pattern(4096, 1);
    private static readonly byte[] RomPage = Pattern(4096, 2);

    // START with MEM_SIZE and two blocks (§11.2), PARTs and END with every record kind (§11.3–§11.5).
    private static byte[] RamStream() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* CONFIGURATION */ 0x07, /* len 8 */ 0x00, 0x00, 0x00, 0x08).Add("virt-7.2"u8.ToArray())
        .At(21).Add(/* SUBSECTION */ 0x05).Add(Str8("configuration/target-page-bits"))
        .Add(/* version 1 */ 0x00, 0x00, 0x00, 0x01, /* 12 bits: 4 KiB pages */ 0x00, 0x00, 0x00, 0x0C)
        .At(61).Add(/* START */ 0x01, /* id 2 */ 0x00, 0x00, 0x00, 0x02).Add(Str8("ram"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 4 */ 0x00, 0x00, 0x00, 0x04)
        .At(78).Add(/* MEM_SIZE: total 0x3000 | 0x004 */ Be64(0x3004))
        .At(86).Add(/* block */ Str8("pc.ram")).Add(/* used_length */ Be64(0x2000))
        .At(101).Add(/* block */ Str8("pc.rom")).Add(/* used_length */ Be64(0x1000))
        .At(116).Add(/* MULTIFD_FLUSH */ Be64(0x200))
        .At(124).Add(/* EOS */ Be64(0x10))
        .At(132).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x02)
        .At(137).Add(/* PART */ 0x02, /* id 2 */ 0x00, 0x00, 0x00, 0x02)
        .At(142).Add(/* ZERO at 0 */ Be64(0x0002)).Add(/* block */ Str8("pc.ram")).Add(/* fill */ 0x00)
        .At(158).Add(/* PAGE|CONTINUE at 0x1000 */ Be64(0x1028)).Add(/* 4 KiB */ RamPage)
        .At(4262).Add(/* EOS */ Be64(0x10))
        .At(4270).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x02)
        .At(4275).Add(/* PART */ 0x02, /* id 2 */ 0x00, 0x00, 0x00, 0x02)
        .At(4280).Add(/* XBZRLE|CONTINUE at 0x1000: block carried over from the previous PART */ Be64(0x1060))
        .Add(/* ENCODING_FLAG_XBZRLE */ 0x01, /* be16 len 5 */ 0x00, 0x05, /* zrun 4, nzrun 3 + bytes */ 0x04, 0x03, 0x6E, 0x97, 0x08)
        .At(4296).Add(/* HOOK */ Be64(0x80))
        .At(4304).Add(/* PAGE at 0 */ Be64(0x0008)).Add(/* block */ Str8("pc.rom")).Add(/* 4 KiB */ RomPage)
        .At(8415).Add(/* ZERO|CONTINUE at 0 */ Be64(0x0022)).Add(/* fill */ 0x00)
        .At(8424).Add(/* EOS */ Be64(0x10))
        .At(8432).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x02)
        .At(8437).Add(/* END */ 0x03, /* id 2 */ 0x00, 0x00, 0x00, 0x02)
        .At(8442).Add(/* COMPRESS_PAGE|CONTINUE at 0 */ Be64(0x0120)).Add(/* be32 len */ Be32(41)).Add(ZlibZeroPage)
        .At(8495).Add(/* EOS */ Be64(0x10))
        .At(8503).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x02)
        .At(8508).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void RamSections_ItemsHaveKindsOffsetsBlocksAndData()
    {
        using var r = WireReader.Open(RamStream());
        var recs = WireReader.ReadAll(r);
        Assert.Equal(
        [
            RecordType.FileHeader, RecordType.Configuration,
            RecordType.SectionStart, RecordType.SectionFooter, RecordType.SectionPart, RecordType.SectionFooter,
            RecordType.SectionPart, RecordType.SectionFooter, RecordType.SectionEnd, RecordType.SectionFooter, RecordType.Eof,
        ], WireReader.Types(recs));
        Assert.Equal(4096, r.PageSize);
        WireReader.AssertSection(2, "ram", 0, 4, recs[2].Section);
        Assert.Equal(78, recs[2].PayloadOffset);
        Assert.Equal(-1, recs[2].PayloadLength);
        WireReader.AssertSection(2, "ram", 0, 4, recs[4].Section);
        Assert.Equal(142, recs[4].PayloadOffset);

        // START: MEM_SIZE, two block entries, MULTIFD_FLUSH, EOS.
        var start = recs[2].Items.Select(x => x.Item).ToList();
        Assert.Equal(
            [IterativeItemKind.RamMemSize, IterativeItemKind.RamBlockEntry, IterativeItemKind.RamBlockEntry,
             IterativeItemKind.RamMultifdFlush, IterativeItemKind.RamEos],
            start.Select(i => i.Kind));
        Assert.Equal([78L, 86, 101, 116, 124], start.Select(i => i.Offset));
        Assert.Equal([8L, 15, 15, 8, 8], start.Select(i => i.Length));
        Assert.Equal(0x3000ul, start[0].MemSize);
        Assert.Equal(0ul, start[0].PageOffset); // the number is a total here, not an offset
        Assert.Equal(0x4ul, start[0].Flags);
        Assert.Equal("pc.ram", start[1].Block!.Name);
        Assert.Equal(0x2000ul, start[1].Block!.UsedLength);
        Assert.Null(start[1].Block!.Address);
        Assert.Null(start[1].Block!.PageSizeWord);
        Assert.Equal("pc.rom", start[2].Block!.Name);
        Assert.Equal(0x1000ul, start[2].Block!.UsedLength);
        Assert.Equal(0x200ul, start[3].Flags);
        Assert.Equal(["pc.ram", "pc.rom"], r.RamBlocks.Select(b => b.Name));

        // PART 1: ZERO (named), PAGE (CONTINUE), EOS.
        var p1 = recs[4].Items;
        Assert.Equal([IterativeItemKind.RamZero, IterativeItemKind.RamPage, IterativeItemKind.RamEos], p1.Select(x => x.Item.Kind));
        var zero = p1[0].Item;
        Assert.Equal(142, zero.Offset);
        Assert.Equal(16, zero.Length);
        Assert.Equal(0x2ul, zero.Flags);
        Assert.Equal(0ul, zero.PageOffset);
        Assert.Equal("pc.ram", zero.Block!.Name);
        Assert.Equal(15, zero.DataOffset);
        Assert.Equal(1, zero.DataLength);
        Assert.Equal(0, zero.FillByte);
        var page = p1[1].Item;
        Assert.Equal(158, page.Offset);
        Assert.Equal(4104, page.Length);
        Assert.Equal(0x28ul, page.Flags);
        Assert.Equal(0x1000ul, page.PageOffset);
        Assert.Equal("pc.ram", page.Block!.Name);
        Assert.Equal(8, page.DataOffset);
        Assert.Equal(4096, page.DataLength);
        Assert.Equal(RamPage, p1[1].Data);
        Assert.Equal(4262, p1[2].Item.Offset);

        // PART 2: XBZRLE with CONTINUE resolves to pc.ram from the previous section (§11.1), HOOK, PAGE pc.rom, ZERO, EOS.
        var p2 = recs[6].Items;
        Assert.Equal(
            [IterativeItemKind.RamXbzrle, IterativeItemKind.RamHook, IterativeItemKind.RamPage, IterativeItemKind.RamZero, IterativeItemKind.RamEos],
            p2.Select(x => x.Item.Kind));
        Assert.Equal([4280L, 4296, 4304, 8415, 8424], p2.Select(x => x.Item.Offset));
        var x = p2[0].Item;
        Assert.Equal("pc.ram", x.Block!.Name);
        Assert.Equal(0x1000ul, x.PageOffset);
        Assert.Equal(0x60ul, x.Flags);
        Assert.Equal(11, x.DataOffset);
        Assert.Equal(5, x.DataLength);
        Assert.Equal(16, x.Length);
        Assert.Equal("04036E9708", Convert.ToHexString(p2[0].Data));
        Assert.Equal(0x80ul, p2[1].Item.Flags);
        Assert.Equal(8, p2[1].Item.Length);
        Assert.Equal("pc.rom", p2[2].Item.Block!.Name);
        Assert.Equal(4111, p2[2].Item.Length);
        Assert.Equal(15, p2[2].Item.DataOffset);
        Assert.Equal(RomPage, p2[2].Data);
        Assert.Equal("pc.rom", p2[3].Item.Block!.Name);
        Assert.Equal(9, p2[3].Item.Length);

        // END: COMPRESS_PAGE (be32 length + zlib), EOS.
        var end = recs[8].Items;
        Assert.Equal([IterativeItemKind.RamCompressedPage, IterativeItemKind.RamEos], end.Select(e => e.Item.Kind));
        Assert.Equal(8442, end[0].Item.Offset);
        Assert.Equal(53, end[0].Item.Length);
        Assert.Equal(12, end[0].Item.DataOffset);
        Assert.Equal(41, end[0].Item.DataLength);
        Assert.Equal("pc.rom", end[0].Item.Block!.Name);
        Assert.Equal(ZlibZeroPage, end[0].Data);
        Assert.Equal(8495, end[1].Item.Offset);
        Assert.Equal(8503, recs[9].RecordOffset);
        Assert.Equal(8508, recs[10].RecordOffset);
    }

    [Fact]
    public void RamSections_StreamInfoTotals()
    {
        var info = StreamInfo.Read(new MemoryStream(RamStream()));
        Assert.Equal(StreamKind.Migration, info.Kind);
        Assert.True(info.Footers);
        Assert.Equal(["start", "part", "part", "end"], info.Sections.Select(s => s.TypeName));
        Assert.Equal([78L, 142, 4280, 8442], info.Sections.Select(s => s.PayloadOffset));
        Assert.Equal([54L, 4128, 4152, 61], info.Sections.Select(s => s.PayloadLength));
        Assert.Equal([132L, 4270, 8432, 8503], info.Sections.Select(s => s.FooterOffset ?? -1));
        var ram = info.Ram!;
        Assert.Equal(4096, ram.PageSize);
        Assert.Equal(["pc.ram", "pc.rom"], ram.Blocks.Select(b => b.Name));
        Assert.Equal(2, ram.ZeroPages);
        Assert.Equal(2, ram.Pages);
        Assert.Equal(1, ram.XbzrlePages);
        Assert.Equal(1, ram.CompressedPages);
        Assert.False(ram.MappedRam);
    }

    [Fact]
    public void RamSections_CopyIsIdentical() => WireReader.AssertCopyIdentical(RamStream());

    // Header + START (MEM_SIZE, pc.ram 0x2000, EOS, footer) + PART header; the record under test starts at 66.
    private static byte[] Prefix() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* START */ 0x01, /* id 1 */ 0x00, 0x00, 0x00, 0x01).Add(Str8("ram"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 4 */ 0x00, 0x00, 0x00, 0x04)
        .At(25).Add(/* MEM_SIZE total 0x2000 */ Be64(0x2004))
        .At(33).Add(/* block */ Str8("pc.ram")).Add(/* used_length */ Be64(0x2000))
        .At(48).Add(/* EOS */ Be64(0x10))
        .At(56).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x01)
        .At(61).Add(/* PART */ 0x02, /* id 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(66)
        .ToArray();

    private static readonly VmStateReaderOptions Page4K = new() { PageSize = 4096 };

    private static VmStateFormatException RamError(params byte[][] record) =>
        WireReader.ReadExpectingError(Cat([Prefix(), .. record, Be64(0x10), Footer(1), [0x00]]), Page4K);

    [Theory]
    [InlineData(0x202ul, true, "0x202")]
    [InlineData(0x402ul, true, "0x402")]
    [InlineData(0x00Cul, true, "0xc")]
    [InlineData(0x001ul, false, "0x1")]
    [InlineData(0x014ul, false, "0x14")]
    public void UnknownFlagCombination_IsRejected(ulong header, bool named, string flags)
    {
        // §11.1 Verified: 0x202 and 0x402 → "Unknown combination of migration flags: 0x202"/"0x402"; FULL 0x001 is
        // rejected. The block name is read first when ZERO/PAGE/XBZRLE is among the bits, so it is a valid one here.
        var e = named
            ? RamError(/* be64 header */ Be64(header), /* block */ Str8("pc.ram"), /* padding */ new byte[16])
            : RamError(/* be64 header */ Be64(header), /* padding */ new byte[16]);
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal(66, e.Offset);
        Assert.Equal("Unknown combination of migration flags: " + flags, e.QemuMessage);
    }

    [Fact]
    public void UnknownFlagCombinationWithZeroBit_ReadsTheBlockNameFirst()
    {
        // §11.1: "the block name is read first if ZERO, PAGE, XBZRLE ... is among the bits", so 0x202 with an
        // unknown block name fails on the name: "Can't find block pc.bios" (the name is at 74).
        var e = RamError(/* ZERO|MULTIFD_FLUSH */ Be64(0x202), /* block */ Str8("pc.bios"), /* padding */ new byte[16]);
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal("Can't find block pc.bios", e.QemuMessage);
        Assert.Equal(74, e.Offset);
    }

    [Fact]
    public void CompressedLengthAboveCompressBound_IsInvalid()
    {
        // §11.5 / §17.8 (7.2): L > compressBound(4096) = 4110 → "Invalid compressed data length: %d"; the be32 is at 81.
        var e = RamError(/* COMPRESS_PAGE at 0 */ Be64(0x100), /* block */ Str8("pc.ram"), /* be32 len 5000 */ Be32(5000), new byte[5000]);
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal("Invalid compressed data length: 5000", e.QemuMessage);
        Assert.Equal(81, e.Offset);
    }

    [Fact]
    public void RamSectionVersion3_IsRejected()
    {
        // §11 / §17.8: ram_load rejects version ≠ 4 with no message of its own; §4.11 step 5 adds
        // "error while loading state for instance 0x0 of device 'ram'". The version is at 21.
        byte[] data = Cat(Header, StartOrFull(0x01, 1, "ram", 0, 3), /* MEM_SIZE */ Be64(0x4), /* EOS */ Be64(0x10), Footer(1), [0x00]);
        var e = WireReader.ReadExpectingError(data, Page4K);
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal(21, e.Offset);
        Assert.Equal("error while loading state for instance 0x0 of device 'ram'", e.QemuMessage);
    }

    [Fact]
    public void ContinueWithNoEarlierBlock_IsAck()
    {
        // §11.1 Verified: CONTINUE without a current block → "Ack, bad migration stream!".
        var e = RamError(/* ZERO|CONTINUE at 0 */ Be64(0x22), /* fill */ [0x00]);
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal(66, e.Offset);
        Assert.Equal("Ack, bad migration stream!", e.QemuMessage);
    }

    [Fact]
    public void UnknownBlockName_CantFindBlock()
    {
        // §11.1: "Can't find block %s"; the name follows the be64 at 74.
        var e = RamError(/* ZERO at 0 */ Be64(0x02), /* block */ Str8("pc.bios"), /* fill */ [0x00]);
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal(74, e.Offset);
        Assert.Equal("Can't find block pc.bios", e.QemuMessage);
    }

    [Fact]
    public void OffsetBeyondUsedLength_IsIllegalRamOffset()
    {
        // §11.1 / §17.8: offset ≥ used_length (0x2000) → "Illegal RAM offset %lx".
        var e = RamError(/* ZERO at 0x2000 */ Be64(0x2002), /* block */ Str8("pc.ram"), /* fill */ [0x00]);
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal(66, e.Offset);
        Assert.Equal("Illegal RAM offset 2000", e.QemuMessage);
    }

    [Fact]
    public void XbzrleWrongEncodingByte_IsWrongCompression()
    {
        // §11.4 Verified: encoding byte ≠ 1 → "Failed to load XBZRLE page - wrong compression!"; the byte is at 66+8+7.
        var e = RamError(/* XBZRLE at 0 */ Be64(0x40), /* block */ Str8("pc.ram"), /* encoding 2 */ [0x02], /* len */ Be16(5), [0x04, 0x03, 0x6E, 0x97, 0x08]);
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal(81, e.Offset);
        Assert.Equal("Failed to load XBZRLE page - wrong compression!", e.QemuMessage);
    }

    [Fact]
    public void XbzrleLongerThanAPage_IsLenOverflow()
    {
        // §11.4: L > page size → "Failed to load XBZRLE page - len overflow!"; the be16 is at 82.
        var e = RamError(/* XBZRLE at 0 */ Be64(0x40), /* block */ Str8("pc.ram"), /* encoding 1 */ [0x01], /* len 4097 */ Be16(0x1001));
        Assert.Equal(VmStateError.BadRam, e.Error);
        Assert.Equal(82, e.Offset);
        Assert.Equal("Failed to load XBZRLE page - len overflow!", e.QemuMessage);
    }

    [Fact]
    public void ZeroWithNonZeroFill_IsKept()
    {
        // §11.3: 7.2 accepts any fill byte (10.0 rejects); the reader reports it and the copy keeps it.
        byte[] data = Cat(Prefix(), /* ZERO at 0x1000 */ Be64(0x1002), Str8("pc.ram"), /* fill */ [0x5A], /* EOS */ Be64(0x10), Footer(1), /* EOF */ [0x00]);
        var recs = WireReader.ReadAll(data, Page4K);
        var z = recs.Single(x => x.Type == RecordType.SectionPart).Items[0].Item;
        Assert.Equal(IterativeItemKind.RamZero, z.Kind);
        Assert.Equal(0x5A, z.FillByte);
        Assert.Equal(0x1000ul, z.PageOffset);
        WireReader.AssertCopyIdentical(data, Page4K);
    }

    // §11.7: 1 KiB pages (ARM versatilepb); no configuration subsection, no trailer, no footers.
    private static byte[] OneKiBPages() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* START */ 0x01, /* id 1 */ 0x00, 0x00, 0x00, 0x01).Add(Str8("ram"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 4 */ 0x00, 0x00, 0x00, 0x04)
        .At(25).Add(/* MEM_SIZE total 0x1000 */ Be64(0x1004))
        .At(33).Add(/* block */ Str8("pc.ram")).Add(/* used_length */ Be64(0x1000))
        .At(48).Add(/* EOS */ Be64(0x10))
        .At(56).Add(/* PART */ 0x02, /* id 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(61).Add(/* PAGE at 0 */ Be64(0x008)).Add(Str8("pc.ram")).Add(Enumerable.Repeat((byte)0xA1, 1024).ToArray())
        .At(1100).Add(/* PAGE|CONTINUE at 0x400 */ Be64(0x428)).Add(Enumerable.Repeat((byte)0xA2, 1024).ToArray())
        .At(2132).Add(/* PAGE|CONTINUE at 0x800 */ Be64(0x828)).Add(Enumerable.Repeat((byte)0xA3, 1024).ToArray())
        .At(3164).Add(/* PAGE|CONTINUE at 0xC00 */ Be64(0xC28)).Add(Enumerable.Repeat((byte)0xA4, 1024).ToArray())
        .At(4196).Add(/* EOS */ Be64(0x10))
        .At(4204).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void OneKiBPages_AreInferredOnANonSeekableStream()
    {
        // §11.7 last paragraph: mask flags with 0x3FF and infer the page size from the first PAGE record.
        using var r = new VmStateReader(new NonSeekableStream(OneKiBPages()));
        var recs = WireReader.ReadAll(r);
        Assert.Equal(1024, r.PageSize);
        Assert.Equal(PageSizeSource.Inferred, r.PageSizeSource);
        Assert.Contains(r.Diagnostics, d => d.Offset == 61 && d.Message == "RAM page size inferred from the first page record: 1024");
        Assert.False(r.HasFooters);
        var part = recs.Single(x => x.Type == RecordType.SectionPart).Items;
        Assert.Equal(
            [IterativeItemKind.RamPage, IterativeItemKind.RamPage, IterativeItemKind.RamPage, IterativeItemKind.RamPage, IterativeItemKind.RamEos],
            part.Select(x => x.Item.Kind));
        Assert.Equal([61L, 1100, 2132, 3164, 4196], part.Select(x => x.Item.Offset));
        Assert.Equal([0ul, 0x400, 0x800, 0xC00, 0], part.Select(x => x.Item.PageOffset));
        Assert.Equal([1039L, 1032, 1032, 1032, 8], part.Select(x => x.Item.Length));
        Assert.All(part.Take(4), x => Assert.Equal(1024, x.Item.DataLength));
        Assert.Equal(Enumerable.Repeat((byte)0xA3, 1024), part[2].Data);
        Assert.Equal(4204, recs[^1].RecordOffset);
    }

    [Fact]
    public void OneKiBPages_StreamInfoAndCopyThroughAPipe()
    {
        var info = StreamInfo.Read(new NonSeekableStream(OneKiBPages()));
        Assert.Equal(1024, info.Ram!.PageSize);
        Assert.Equal(4, info.Ram.Pages);
        Assert.Equal([31L, 4143], info.Sections.Select(s => s.PayloadLength));

        using var output = new MemoryStream();
        StreamCopier.Copy(new NonSeekableStream(OneKiBPages()), output);
        Assert.Equal(Convert.ToHexString(OneKiBPages()), Convert.ToHexString(output.ToArray()));
    }

    // §11.2 condition B: with x-ignore-shared in the configuration capabilities each block entry has a be64 address word.
    private static byte[] IgnoreShared() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* CONFIGURATION */ 0x07, /* len 2 */ 0x00, 0x00, 0x00, 0x02, (byte)'p', (byte)'c')
        .At(15).Add(/* SUBSECTION */ 0x05).Add(Str8("configuration/capabilities"))
        .At(43).Add(/* version 1 */ 0x00, 0x00, 0x00, 0x01, /* caps_count 1 */ 0x00, 0x00, 0x00, 0x01).Add(Str8("x-ignore-shared"))
        .At(67).Add(/* START */ 0x01, /* id 1 */ 0x00, 0x00, 0x00, 0x01).Add(Str8("ram"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 4 */ 0x00, 0x00, 0x00, 0x04)
        .At(84).Add(/* MEM_SIZE total 0x41000 */ Be64(0x41004))
        .At(92).Add(Str8("pc.ram")).Add(/* used_length */ Be64(0x1000)).Add(/* mr_addr */ Be64(0))
        .At(115).Add(Str8("pc.bios")).Add(/* used_length */ Be64(0x40000)).Add(/* mr_addr */ Be64(0xFFFC0000))
        .At(139).Add(/* EOS */ Be64(0x10))
        .At(147).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x01)
        .At(152).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void IgnoreShared_BlockEntriesCarryTheAddressWord()
    {
        using var r = WireReader.Open(IgnoreShared());
        var recs = WireReader.ReadAll(r);
        Assert.Equal(["x-ignore-shared"], r.Configuration!.Capabilities!);
        var items = recs.Single(x => x.Type == RecordType.SectionStart).Items.Select(x => x.Item).ToList();
        Assert.Equal(
            [IterativeItemKind.RamMemSize, IterativeItemKind.RamBlockEntry, IterativeItemKind.RamBlockEntry, IterativeItemKind.RamEos],
            items.Select(i => i.Kind));
        Assert.Equal([84L, 92, 115, 139], items.Select(i => i.Offset));
        Assert.Equal([8L, 23, 24, 8], items.Select(i => i.Length));
        Assert.Equal(0ul, items[1].Block!.Address);
        Assert.Equal("pc.bios", items[2].Block!.Name);
        Assert.Equal(0x40000ul, items[2].Block!.UsedLength);
        Assert.Equal(0xFFFC0000ul, items[2].Block!.Address);
        Assert.Null(items[2].Block!.PageSizeWord);
        Assert.Equal(147, recs.Single(x => x.Type == RecordType.SectionFooter).RecordOffset);
        WireReader.AssertCopyIdentical(IgnoreShared());
    }

    [Fact]
    public void WriterRamRecord_NamedZeroPage()
    {
        // §11.3 Verified example: 0000000000000002 06 "pc.ram" 00 = zero page at offset 0 of pc.ram.
        var block = new RamBlock { Name = "pc.ram", NameBytes = "pc.ram"u8.ToArray(), UsedLength = 0x1000 };
        var item = new IterativeItem { Kind = IterativeItemKind.RamZero, Flags = 0x02, PageOffset = 0, Block = block, FillByte = 0 };
        using var ms = new MemoryStream();
        using (var w = new VmStateWriter(ms, leaveOpen: true))
        {
            w.WriteRamRecord(item, default);
        }
        Assert.Equal("000000000000000206" + "70632E72616D" + "00", Convert.ToHexString(ms.ToArray()));
    }
}
