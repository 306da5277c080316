using static Qevm.Tests.Wire.WireBytes;

namespace Qevm.Tests.Wire;

/// <summary>FULL sections (FORMAT.md §4.1, §4.8–§4.11), delimited by footers (§9) or by a description (§13.11).</summary>
public class FullSectionTests
{
    // §1.5-style device-state file with footers; ids with gaps, instance ids 0x80000000 and 0xFFFFFFFF (§4.10).
    private static byte[] DeviceStateWithFooters() => new StreamBuilder()
        .At(0x00).Add(Header)
        .At(0x08).Add(/* FULL */ 0x04, /* section id 0 */ 0x00, 0x00, 0x00, 0x00,
            /* idstr "timer" */ 0x05, (byte)'t', (byte)'i', (byte)'m', (byte)'e', (byte)'r',
            /* instance id 0 */ 0x00, 0x00, 0x00, 0x00, /* version 2 */ 0x00, 0x00, 0x00, 0x02)
        .At(0x1B).Add(/* sbe64 cpu_ticks_offset */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,
            /* 8 unused bytes */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            /* sbe64 cpu_clock_offset */ 0x00, 0x00, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89)
        .At(0x33).Add(/* footer */ 0x7E, /* section id 0 */ 0x00, 0x00, 0x00, 0x00)
        .At(0x38).Add(/* FULL */ 0x04, /* section id 4 */ 0x00, 0x00, 0x00, 0x04)
        .Add(/* idstr "cpu_common" */ Str8("cpu_common"))
        .Add(/* instance id 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(0x50).Add(/* be32 halted */ 0x00, 0x00, 0x00, 0x00, /* be32 interrupt_request */ 0x00, 0x00, 0x00, 0x10)
        .At(0x58).Add(/* footer */ 0x7E, /* section id 4 */ 0x00, 0x00, 0x00, 0x04)
        .At(0x5D).Add(/* FULL */ 0x04, /* section id 558 */ 0x00, 0x00, 0x02, 0x2E)
        .Add(/* idstr */ Str8("spapr_iommu"))
        .Add(/* instance id 0x80000000 */ 0x80, 0x00, 0x00, 0x00, /* version 2 */ 0x00, 0x00, 0x00, 0x02)
        .At(0x76).Add(/* data */ 0x00, 0x00, 0x10, 0x00)
        .At(0x7A).Add(/* footer */ 0x7E, /* section id 558 */ 0x00, 0x00, 0x02, 0x2E)
        .At(0x7F).Add(/* FULL */ 0x04, /* section id 560 */ 0x00, 0x00, 0x02, 0x30)
        .Add(/* idstr */ Str8("drc"))
        .Add(/* instance id 0xFFFFFFFF */ 0xFF, 0xFF, 0xFF, 0xFF, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(0x90).Add(/* data */ 0x01)
        .At(0x91).Add(/* footer */ 0x7E, /* section id 560 */ 0x00, 0x00, 0x02, 0x30)
        .At(0x96).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void FullSectionsWithFooters_GiveHeadersPayloadsAndFooters()
    {
        var data = DeviceStateWithFooters();
        using var r = WireReader.Open(data);
        var recs = WireReader.ReadAll(r);
        Assert.Equal(
        [
            RecordType.FileHeader,
            RecordType.SectionFull, RecordType.SectionFooter,
            RecordType.SectionFull, RecordType.SectionFooter,
            RecordType.SectionFull, RecordType.SectionFooter,
            RecordType.SectionFull, RecordType.SectionFooter,
            RecordType.Eof,
        ], WireReader.Types(recs));
        Assert.True(r.HasFooters);

        // §1.5: timer at 0x08, data 0x1B..0x33, footer at 0x33.
        Assert.Equal(0x08, recs[1].RecordOffset);
        Assert.Equal(0x1B, recs[1].PayloadOffset);
        Assert.Equal(24, recs[1].PayloadLength);
        WireReader.AssertSection(0, "timer", 0, 2, recs[1].Section);
        Assert.Equal("000000000000123400000000000000000000000123456789", Convert.ToHexString(recs[1].Payload));
        Assert.Equal(0x33, recs[2].RecordOffset);
        Assert.Equal(0u, recs[2].Section!.SectionId);

        Assert.Equal(0x38, recs[3].RecordOffset);
        Assert.Equal(0x50, recs[3].PayloadOffset);
        Assert.Equal(8, recs[3].PayloadLength);
        WireReader.AssertSection(4, "cpu_common", 0, 1, recs[3].Section);
        Assert.Equal(0x58, recs[4].RecordOffset);
        Assert.Equal(4u, recs[4].Section!.SectionId);

        // §4.10: instance ids are unsigned 32-bit, 0x80000000 and 0xFFFFFFFF included.
        WireReader.AssertSection(558, "spapr_iommu", 0x80000000u, 2, recs[5].Section);
        Assert.Equal(0x76, recs[5].PayloadOffset);
        Assert.Equal(4, recs[5].PayloadLength);
        Assert.Equal(0x7A, recs[6].RecordOffset);
        WireReader.AssertSection(560, "drc", 0xFFFFFFFFu, 1, recs[7].Section);
        Assert.Equal(1, recs[7].PayloadLength);
        Assert.Equal(0x91, recs[8].RecordOffset);
        Assert.Equal(0x96, recs[9].RecordOffset);
    }

    [Fact]
    public void FullSectionsWithFooters_StreamInfoTable()
    {
        var info = StreamInfo.Read(new MemoryStream(DeviceStateWithFooters()));
        Assert.Equal(StreamKind.DeviceState, info.Kind);
        Assert.True(info.Footers);
        Assert.Equal(4, info.Sections.Count);
        Assert.Equal([0u, 4u, 558u, 560u], info.Sections.Select(s => s.Header.SectionId));
        Assert.Equal([24L, 8L, 4L, 1L], info.Sections.Select(s => s.PayloadLength));
        Assert.Equal([0x33L, 0x58L, 0x7AL, 0x91L], info.Sections.Select(s => s.FooterOffset ?? -1));
        Assert.Equal(0x80000000u, info.Sections[2].Header.InstanceId);
        Assert.Equal("full", info.Sections[3].TypeName);
        Assert.Equal(0x96, info.EofOffset);
    }

    [Fact]
    public void FullSectionsWithFooters_CopyIsIdentical() => WireReader.AssertCopyIdentical(DeviceStateWithFooters());

    [Fact]
    public void Writer_ProducesTheCraftedBytes()
    {
        // §4.1 / §9.1: header, FULL header, data, footer, EOF written field by field.
        using var ms = new MemoryStream();
        using (var w = new VmStateWriter(ms, leaveOpen: true))
        {
            w.WriteHeader();
            w.WriteSectionHeader(RecordType.SectionFull, new SectionHeader(558, "spapr_iommu", 0x80000000u, 2));
            w.WriteSectionData([0x00, 0x00, 0x10, 0x00]);
            w.WriteFooter(558);
            w.WriteEof();
        }
        byte[] expected = Cat(Header,
            [/* FULL */ 0x04, /* id 558 */ 0x00, 0x00, 0x02, 0x2E], Str8("spapr_iommu"),
            [/* instance */ 0x80, 0x00, 0x00, 0x00, /* version */ 0x00, 0x00, 0x00, 0x02],
            [/* data */ 0x00, 0x00, 0x10, 0x00],
            [/* footer */ 0x7E, 0x00, 0x00, 0x02, 0x2E],
            [/* EOF */ 0x00]);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(ms.ToArray()));

        var recs = WireReader.ReadAll(ms.ToArray());
        WireReader.AssertSection(558, "spapr_iommu", 0x80000000u, 2, recs[1].Section);
        Assert.Equal(4, recs[1].PayloadLength);
    }

    // §1.2 seed format (Xen): no footers, no trailer.
    private static byte[] DeviceStateWithoutFooters() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* FULL */ 0x04, /* section id 0 */ 0x00, 0x00, 0x00, 0x00, /* idstr */ 0x03, (byte)'d', (byte)'e', (byte)'v',
            /* instance id 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(25).Add(/* be32 a */ 0x00, 0x00, 0x00, 0x2A)
        .At(29).Add(/* FULL */ 0x04, /* section id 1 */ 0x00, 0x00, 0x00, 0x01, /* idstr */ 0x03, (byte)'d', (byte)'e', (byte)'v',
            /* instance id 0x80000001 */ 0x80, 0x00, 0x00, 0x01, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(46).Add(/* be32 a */ 0x00, 0x00, 0x01, 0x00)
        .At(50).Add(/* EOF */ 0x00)
        .ToArray();

    private const string DevDescription =
        """{"page_size": 4096, "devices": [{"name": "dev", "instance_id": 0, "vmsd_name": "dev", "version": 1, "fields": [{"name": "a", "type": "uint32", "size": 4}]}, """ +
        """{"name": "dev", "instance_id": 2147483649, "vmsd_name": "dev", "version": 1, "fields": [{"name": "a", "type": "uint32", "size": 4}]}]}""";

    [Fact]
    public void NoFootersNoDescription_NeedsSchema()
    {
        // §9.4 / §13.8: without footers and without a description a FULL section cannot be delimited.
        var e = WireReader.ReadExpectingError(DeviceStateWithoutFooters());
        Assert.Equal(VmStateError.NeedsSchema, e.Error);
        Assert.Equal(25, e.Offset);
        Assert.Null(e.QemuMessage);
    }

    [Fact]
    public void NoFooters_WithDescription_IsDelimitedByTheFields()
    {
        // §13.11: the description's field sizes give the data length; §9.5: no footer follows.
        var options = new VmStateReaderOptions { Description = Trailer.Parse(System.Text.Encoding.ASCII.GetBytes(DevDescription)) };
        using var r = WireReader.Open(DeviceStateWithoutFooters(), options);
        var recs = WireReader.ReadAll(r);
        Assert.Equal([RecordType.FileHeader, RecordType.SectionFull, RecordType.SectionFull, RecordType.Eof], WireReader.Types(recs));
        Assert.False(r.HasFooters);
        Assert.Equal(25, recs[1].PayloadOffset);
        Assert.Equal(4, recs[1].PayloadLength);
        Assert.Equal("0000002A", Convert.ToHexString(recs[1].Payload));
        WireReader.AssertSection(1, "dev", 0x80000001u, 1, recs[2].Section);
        Assert.Equal(29, recs[2].RecordOffset);
        Assert.Equal(46, recs[2].PayloadOffset);
        Assert.Equal(4, recs[2].PayloadLength);
        Assert.Equal(50, recs[3].RecordOffset);
        Assert.Empty(r.DescriptionMismatches);
        // A description from elsewhere does not become the stream's own trailer.
        Assert.Null(r.OwnTrailer);
        Assert.Equal(0, r.PageSize);

        var info = StreamInfo.Read(new MemoryStream(DeviceStateWithoutFooters()), options);
        Assert.False(info.Footers);
        Assert.Equal([4L, 4L], info.Sections.Select(s => s.PayloadLength));
        Assert.All(info.Sections, s => Assert.Null(s.FooterOffset));

        WireReader.AssertCopyIdentical(DeviceStateWithoutFooters(), options);
    }

    [Fact]
    public void DescriptionAndFooterDisagree_FooterWinsAndMismatchIsReported()
    {
        // §9.4 step 2: the footer checks the described length; here the data has 6 bytes, the description says 4.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* FULL */ 0x04, /* section id 0 */ 0x00, 0x00, 0x00, 0x00, /* idstr */ 0x03, (byte)'d', (byte)'e', (byte)'v',
                /* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .At(25).Add(/* 6 data bytes */ 0x00, 0x00, 0x00, 0x2A, 0x00, 0x01)
            .At(31).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x00)
            .At(36).Add(/* EOF */ 0x00)
            .ToArray();
        var options = new VmStateReaderOptions { Description = Trailer.Parse(System.Text.Encoding.ASCII.GetBytes(DevDescription)) };
        using var r = WireReader.Open(data, options);
        var recs = WireReader.ReadAll(r);
        Assert.Equal(6, recs[1].PayloadLength);
        Assert.Equal(31, recs[2].RecordOffset);
        var m = Assert.Single(r.DescriptionMismatches);
        Assert.Equal(new DescriptionMismatch("dev", 0, 0, 4, 6), m);
        WireReader.AssertCopyIdentical(data, options);
    }

    [Fact]
    public void FakeFooterPatternInsideData_IsNotTakenForTheFooter()
    {
        // §9.4: 0x7E + be32 id inside the data is a footer candidate only if a plausible record follows.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* FULL */ 0x04, /* section id 5 */ 0x00, 0x00, 0x00, 0x05, /* idstr */ 0x03, (byte)'d', (byte)'e', (byte)'v',
                /* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .At(25).Add(/* fake footer, then 0xFF: no record type */ 0x7E, 0x00, 0x00, 0x00, 0x05, 0xFF)
            .At(31).Add(/* 0x00 then fake footer, then 00 AA: an EOF not followed by a trailer */ 0x00, 0x7E, 0x00, 0x00, 0x00, 0x05, 0x00, 0xAA)
            .At(39).Add(/* real footer */ 0x7E, 0x00, 0x00, 0x00, 0x05)
            .At(44).Add(/* EOF */ 0x00)
            .ToArray();
        using var r = WireReader.Open(data);
        var recs = WireReader.ReadAll(r);
        Assert.Equal([RecordType.FileHeader, RecordType.SectionFull, RecordType.SectionFooter, RecordType.Eof], WireReader.Types(recs));
        Assert.Equal(25, recs[1].PayloadOffset);
        Assert.Equal(14, recs[1].PayloadLength);
        Assert.Equal(39, recs[2].RecordOffset);
        Assert.Equal(44, recs[3].RecordOffset);
        Assert.True(r.HasFooters);
        WireReader.AssertCopyIdentical(data);
    }

    [Theory]
    [InlineData(0x05)]
    [InlineData(0x06)]
    [InlineData(0x09)]
    [InlineData(0x7E)]
    [InlineData(0xFF)]
    public void UnknownTopLevelByte_IsUnknownSectionType(byte type)
    {
        // §4.1: the main loop accepts only 0x00-0x04 and 0x08; §17.2 "Unknown savevm section type %d".
        byte[] data = [.. Header, /* type */ type, /* filler */ 0x00, 0x00, 0x00, 0x00, 0x00];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.UnknownRecordType, e.Error);
        Assert.Equal(8, e.Offset);
        Assert.Equal($"Unknown savevm section type {type}", e.QemuMessage);
    }

    [Fact]
    public void ConfigurationByteAfterTheFirstRecord_IsUnknownSectionType7()
    {
        // §4.1 / §14.4: 0x07 is only accepted right after the header; later the main loop rejects it.
        byte[] data =
        [
            .. Header,
            /* 0x08 COMMAND */ 0x08, /* OPEN_RETURN_PATH */ 0x00, 0x01, /* len 0 */ 0x00, 0x00,
            /* 0x0D configuration */ 0x07, /* be32 len */ 0x00, 0x00, 0x00, 0x02, (byte)'p', (byte)'c',
            /* EOF */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.UnknownRecordType, e.Error);
        Assert.Equal(13, e.Offset);
        Assert.Equal("Unknown savevm section type 7", e.QemuMessage);
    }

    [Fact]
    public void PartWithUnknownId_IsUnknownSection()
    {
        // §4.8 / §17.3: a PART whose id no START/FULL introduced → "Unknown savevm section %d".
        byte[] data =
        [
            .. Header,
            /* 0x08 PART */ 0x02, /* section id 9 */ 0x00, 0x00, 0x00, 0x09,
            /* data */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
            /* EOF */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.UnknownSection, e.Error);
        Assert.Equal(9, e.Offset);
        Assert.Equal("Unknown savevm section 9", e.QemuMessage);
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x04)]
    public void EmptyIdstr_IsUnreadableIdString(byte type)
    {
        // §2.3 / §4.11 step 1: idstr length 0 → "Unable to read ID string for section %u".
        byte[] data =
        [
            .. Header,
            /* 0x08 START/FULL */ type, /* section id 3 */ 0x00, 0x00, 0x00, 0x03,
            /* 0x0D idstr length 0 */ 0x00,
            /* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01,
            /* EOF */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadSectionHeader, e.Error);
        Assert.Equal(13, e.Offset);
        Assert.Equal("Unable to read ID string for section 3", e.QemuMessage);
    }

    [Fact]
    public void NonAsciiIdstr_IsKeptByteForByte()
    {
        // §2.3: idstr bytes are whatever the writer had (user-supplied device ids can be non-ASCII).
        byte[] data =
        [
            .. Header,
            /* 0x08 FULL */ 0x04, /* id 7 */ 0x00, 0x00, 0x00, 0x07, /* idstr "d\xE9v" */ 0x03, 0x64, 0xE9, 0x76,
            /* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01,
            /* 0x19 data */ 0x00, 0x2A,
            /* 0x1B footer */ 0x7E, 0x00, 0x00, 0x00, 0x07,
            /* 0x20 EOF */ 0x00,
        ];
        var recs = WireReader.ReadAll(data);
        Assert.Equal([0x64, 0xE9, 0x76], recs[1].Section!.IdstrBytes);
        Assert.Equal(2, recs[1].PayloadLength);
        Assert.Equal(0x1B, recs[2].RecordOffset);
        WireReader.AssertCopyIdentical(data);
    }

    [Fact]
    public void SectionHeaderCutShort_IsTruncated()
    {
        // §2.4: a header that ends early is an I/O error of the loader.
        byte[] data = [.. Header, /* FULL */ 0x04, /* id 1 */ 0x00, 0x00, 0x00, 0x01, /* idstr "dev" */ 0x03, (byte)'d', (byte)'e', (byte)'v', /* 2 of 8 bytes */ 0x00, 0x00];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.Truncated, e.Error);
        Assert.Equal(data.Length, e.Offset);
    }
}
