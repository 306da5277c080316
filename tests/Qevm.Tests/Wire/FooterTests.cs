using System.Text;
using static Qevm.Tests.Wire.WireBytes;

namespace Qevm.Tests.Wire;

/// <summary>Section footers (FORMAT.md §9): detection, mismatched ids, missing footers.</summary>
public class FooterTests
{
    private const string PortDescription =
        """{"page_size": 4096, "devices": [{"name": "dev0", "instance_id": 0, "vmsd_name": "dev0", "version": 1, "fields": [{"name": "a", "type": "uint32", "size": 4}]}, """ +
        """{"name": "port92", "instance_id": 0, "vmsd_name": "port92", "version": 1, "fields": [{"name": "outport", "type": "uint8", "size": 1}]}]}""";

    [Fact]
    public void FullSectionFooterNamingAnotherId_IsMismatched()
    {
        // §9.3 Verified: changing port92's footer id gives
        // "Mismatched section id in footer for port92 - read 0x3e7 expected 0x1b". The trailer delimits the data.
        var json = Encoding.ASCII.GetBytes(PortDescription);
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* FULL */ 0x04, /* id 0 */ 0x00, 0x00, 0x00, 0x00, /* idstr */ 0x04, (byte)'d', (byte)'e', (byte)'v', (byte)'0',
                /* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .At(26).Add(/* be32 a */ 0x00, 0x00, 0x00, 0x07)
            .At(30).Add(/* footer */ 0x7E, /* id 0 */ 0x00, 0x00, 0x00, 0x00)
            .At(35).Add(/* FULL */ 0x04, /* id 27 */ 0x00, 0x00, 0x00, 0x1B).Add(/* idstr */ Str8("port92"))
            .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .At(55).Add(/* u8 outport */ 0x00)
            .At(56).Add(/* footer */ 0x7E, /* id 999, not 27 */ 0x00, 0x00, 0x03, 0xE7)
            .At(61).Add(/* EOF */ 0x00)
            .At(62).Add(/* VMDESCRIPTION */ 0x06).Add(Be32((uint)json.Length)).Add(json)
            .ToArray();
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadFooter, e.Error);
        Assert.Equal("Mismatched section id in footer for port92 - read 0x3e7 expected 0x1b", e.QemuMessage);
        Assert.Equal(57, e.Offset);
    }

    [Fact]
    public void IterativeSectionFooterNamingAnotherId_IsMismatched()
    {
        // §9.3: the footer after RAM data (§11, parsed to its EOS) names id 0x3e7 instead of 1.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* START */ 0x01, /* id 1 */ 0x00, 0x00, 0x00, 0x01, /* idstr "ram" */ 0x03, (byte)'r', (byte)'a', (byte)'m',
                /* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 4 */ 0x00, 0x00, 0x00, 0x04)
            .At(25).Add(/* MEM_SIZE total 0 */ Be64(0x0000000000000004))
            .At(33).Add(/* EOS */ Be64(0x0000000000000010))
            .At(41).Add(/* footer */ 0x7E, /* id 999 */ 0x00, 0x00, 0x03, 0xE7)
            .Add(/* EOF */ 0x00)
            .ToArray();
        var e = WireReader.ReadExpectingError(data, new VmStateReaderOptions { PageSize = 4096 });
        Assert.Equal(VmStateError.BadFooter, e.Error);
        Assert.Equal(42, e.Offset);
        Assert.Equal("Mismatched section id in footer for ram - read 0x3e7 expected 0x1", e.QemuMessage);
    }

    [Fact]
    public void FullSectionWithoutFooterOnceFootersAreKnown_IsMissingFooter()
    {
        // §9.3 / §9.5: the first section has a footer, so every section has one; dev1's is missing.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* FULL */ 0x04, /* id 0 */ 0x00, 0x00, 0x00, 0x00).Add(/* idstr */ Str8("dev0"))
                .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .At(26).Add(/* be32 a */ 0x00, 0x00, 0x00, 0x07)
            .At(30).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x00)
            .At(35).Add(/* FULL */ 0x04, /* id 1 */ 0x00, 0x00, 0x00, 0x01).Add(/* idstr */ Str8("dev1"))
                .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .At(53).Add(/* data */ 0x12, 0x34)
            .At(55).Add(/* EOF, no footer */ 0x00)
            .ToArray();
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadFooter, e.Error);
        Assert.Equal(53, e.Offset);
        Assert.Equal("Missing section footer for dev1", e.QemuMessage);
    }

    [Fact]
    public void IterativeSectionWithoutFooterOnceFootersAreKnown_IsMissingFooterAtTheExactByte()
    {
        // §9.3: after the RAM data (ending with EOS at 56), the byte at 64 should be 0x7E.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* FULL */ 0x04, /* id 0 */ 0x00, 0x00, 0x00, 0x00).Add(/* idstr */ Str8("dev0"))
                .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .At(26).Add(/* be32 a */ 0x00, 0x00, 0x00, 0x07)
            .At(30).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x00)
            .At(35).Add(/* START */ 0x01, /* id 1 */ 0x00, 0x00, 0x00, 0x01).Add(/* idstr */ Str8("ram"))
                .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 4 */ 0x00, 0x00, 0x00, 0x04)
            .At(52).Add(/* MEM_SIZE total 0 */ Be64(0x0000000000000004))
            .At(60).Add(/* EOS */ Be64(0x0000000000000010))
            .At(68).Add(/* EOF instead of the footer */ 0x00)
            .ToArray();
        var e = WireReader.ReadExpectingError(data, new VmStateReaderOptions { PageSize = 4096 });
        Assert.Equal(VmStateError.BadFooter, e.Error);
        Assert.Equal(68, e.Offset);
        Assert.Equal("Missing section footer for ram", e.QemuMessage);
    }

    [Fact]
    public void IterativeSectionsWithoutFooters_AreDetectedFromTheFirstSection()
    {
        // §9.5: after the first section whose length is known (a ram START), the next byte tells.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* START */ 0x01, /* id 1 */ 0x00, 0x00, 0x00, 0x01).Add(/* idstr */ Str8("ram"))
                .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 4 */ 0x00, 0x00, 0x00, 0x04)
            .At(25).Add(/* MEM_SIZE total 0 */ Be64(0x0000000000000004))
            .At(33).Add(/* EOS */ Be64(0x0000000000000010))
            .At(41).Add(/* END, no footer before it */ 0x03, /* id 1 */ 0x00, 0x00, 0x00, 0x01)
            .At(46).Add(/* EOS */ Be64(0x0000000000000010))
            .At(54).Add(/* EOF */ 0x00)
            .ToArray();
        using var r = WireReader.Open(data, new VmStateReaderOptions { PageSize = 4096 });
        var recs = WireReader.ReadAll(r);
        Assert.Equal([RecordType.FileHeader, RecordType.SectionStart, RecordType.SectionEnd, RecordType.Eof], WireReader.Types(recs));
        Assert.False(r.HasFooters);
        Assert.Equal(41, recs[2].RecordOffset);
        Assert.Equal(46, recs[2].PayloadOffset);
        Assert.Equal(54, recs[3].RecordOffset);
        WireReader.AssertCopyIdentical(data, new VmStateReaderOptions { PageSize = 4096 });
    }
}
