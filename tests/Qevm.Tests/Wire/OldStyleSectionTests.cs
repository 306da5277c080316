using static Qevm.Tests.Wire.WireBytes;

namespace Qevm.Tests.Wire;

/// <summary>Old-style s390 sections whose layout delimits them (FORMAT.md §15.1, §15.3).</summary>
public class OldStyleSectionTests
{
    // No footers, no trailer (§1.2 seed format): only the built-in layouts can delimit these sections.
    private static byte[] WithoutFooters() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* FULL */ 0x04, /* id 2 */ 0x00, 0x00, 0x00, 0x02).Add(Str8("todclock"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(30).Add(/* u8 1: value present */ 0x01, /* u8 TOD high */ 0x00, /* be64 TOD low */ 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF)
        .At(40).Add(/* FULL */ 0x04, /* id 3 */ 0x00, 0x00, 0x00, 0x03).Add(Str8("s390-skeys"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(64).Add(/* SKEYS at address 0 */ Be64(0x02)).Add(/* be64 page count 3 */ Be64(3)).Add(/* keys */ 0x06, 0x06, 0x16)
        .At(83).Add(/* EOS */ Be64(0x01))
        .At(91).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void TodclockAndSkeys_WithoutFootersOrTrailer_AreDelimitedByTheirLayout()
    {
        using var r = WireReader.Open(WithoutFooters());
        var recs = WireReader.ReadAll(r);
        Assert.Equal([RecordType.FileHeader, RecordType.SectionFull, RecordType.SectionFull, RecordType.Eof], WireReader.Types(recs));
        Assert.False(r.HasFooters);
        WireReader.AssertSection(2, "todclock", 0, 1, recs[1].Section);
        Assert.Equal(30, recs[1].PayloadOffset);
        Assert.Equal(10, recs[1].PayloadLength);
        Assert.Equal("010001234567" + "89ABCDEF", Convert.ToHexString(recs[1].Payload));
        WireReader.AssertSection(3, "s390-skeys", 0, 1, recs[2].Section);
        Assert.Equal(40, recs[2].RecordOffset);
        Assert.Equal(64, recs[2].PayloadOffset);
        Assert.Equal(27, recs[2].PayloadLength);
        Assert.Equal(91, recs[3].RecordOffset);
        WireReader.AssertCopyIdentical(WithoutFooters());
    }

    [Fact]
    public void TodclockMissingAndSkeysUnused_WithFooters()
    {
        // §15.1: todclock may be u8 0 alone (value missing); s390-skeys Verified as a bare EOS 0000000000000001.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(StartOrFull(0x04, 2, "todclock", 0, 1))
            .At(30).Add(/* u8 0: value missing */ 0x00)
            .At(31).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x02)
            .At(36).Add(StartOrFull(0x04, 3, "s390-skeys", 0, 1))
            .At(60).Add(/* EOS */ Be64(0x01))
            .At(68).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x03)
            .At(73).Add(/* EOF */ 0x00)
            .ToArray();
        using var r = WireReader.Open(data);
        var recs = WireReader.ReadAll(r);
        Assert.True(r.HasFooters);
        Assert.Equal(1, recs[1].PayloadLength);
        Assert.Equal(31, recs[2].RecordOffset);
        Assert.Equal(60, recs[3].PayloadOffset);
        Assert.Equal(8, recs[3].PayloadLength);
        Assert.Equal(68, recs[4].RecordOffset);
        WireReader.AssertCopyIdentical(data);
    }
}
