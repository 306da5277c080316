using Qevm.Tests.Corpus;
using System.Text;
using System.Text.Json;
using static Qevm.Tests.Wire.WireBytes;

namespace Qevm.Tests.Wire;

/// <summary>The JSON trailer after EOF (FORMAT.md §13).</summary>
public class TrailerTests
{
    // §13.6: a qtailq field with two elements carries two sets of "vmsd_name"/"version"/"fields" in one object.
    private const string DuplicateKeyJson =
        """{"page_size": 4096, "devices": [{"name": "css", "instance_id": 0, "vmsd_name": "css", "version": 1, "fields": [""" +
        """{"name": "pending_crws", "type": "qtailq", "vmsd_name": "crw", "version": 1, "fields": [{"name": "flags", "type": "uint16", "size": 2}]""" +
        """, "vmsd_name": "crw", "version": 1, "fields": [{"name": "flags", "type": "uint16", "size": 2}], "size": 7}]}]}""";

    private static readonly byte[] Json = Encoding.ASCII.GetBytes(DuplicateKeyJson);

    private static byte[] StreamWithTrailer() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(StartOrFull(0x04, 1, "css", 0, 1))
        .At(25).Add(/* qtailq: 01 elem, 01 elem, 00 (§6.2) */ 0x01, 0x00, 0x01, 0x01, 0x00, 0x02, 0x00)
        .At(32).Add(/* footer */ 0x7E, 0x00, 0x00, 0x00, 0x01)
        .At(37).Add(/* EOF */ 0x00)
        .At(38).Add(/* VMDESCRIPTION */ 0x06).Add(/* be32 L */ Be32((uint)Json.Length))
        .At(43).Add(/* JSON */ Json)
        .ToArray();

    [Fact]
    public void DuplicateKeys_ParseAndKeepBothSets()
    {
        var t = Trailer.Parse(Json);
        Assert.Equal(4096, t.PageSize);
        Assert.Equal([("css", 0u)], t.Devices);
        Assert.True(t.TryGetDevice("css", 0, out var css));
        var field = css.GetProperty("fields")[0];
        Assert.Equal(2, field.EnumerateObject().Count(p => p.Name == "fields"));
        Assert.Equal(2, field.EnumerateObject().Count(p => p.Name == "vmsd_name"));
        Assert.Equal(7, field.GetProperty("size").GetInt32());
    }

    [Fact]
    public void SeekableStream_TrailerIsReadFirstAndGivesThePageSize()
    {
        var data = StreamWithTrailer();
        using var r = WireReader.Open(data);
        // §11.7 item 1: the trailer's page_size, known before any record is read.
        Assert.NotNull(r.OwnTrailer);
        Assert.Equal(4096, r.PageSize);
        Assert.Equal(PageSizeSource.Trailer, r.PageSizeSource);
        Assert.Equal(38, r.OwnTrailer.Offset);

        var recs = WireReader.ReadAll(r);
        Assert.Equal(
            [RecordType.FileHeader, RecordType.SectionFull, RecordType.SectionFooter, RecordType.Eof, RecordType.VmDescription],
            WireReader.Types(recs));
        Assert.Equal(7, recs[1].PayloadLength);
        Assert.Equal(32, recs[2].RecordOffset);
        Assert.Equal(37, recs[3].RecordOffset);
        var desc = recs[4];
        Assert.Equal(38, desc.RecordOffset);
        Assert.Equal(43, desc.PayloadOffset);
        Assert.Equal(Json.Length, desc.PayloadLength);
        Assert.Equal(Json, desc.Payload);
        Assert.Empty(r.DescriptionMismatches);
        Assert.Empty(r.Diagnostics);
        WireReader.AssertCopyIdentical(data);
    }

    [Fact]
    public void NonSeekableStream_TrailerIsKnownOnceRead()
    {
        using var r = new VmStateReader(new NonSeekableStream(StreamWithTrailer()));
        Assert.Null(r.OwnTrailer);
        var recs = WireReader.ReadAll(r);
        Assert.Equal(RecordType.VmDescription, recs[^1].Type);
        Assert.NotNull(r.OwnTrailer);
        Assert.Equal(4096, r.OwnTrailer.PageSize);
        Assert.Equal(38, r.OwnTrailer.Offset);
        Assert.Equal(7, recs[1].PayloadLength);

        var info = StreamInfo.Read(new NonSeekableStream(StreamWithTrailer()));
        Assert.Equal(StreamKind.Migration, info.Kind);
        Assert.Equal((38L, (long)Json.Length), info.Trailer);
        Assert.Equal(37, info.EofOffset);
    }

    [Fact]
    public void TrailerPageSize1024_DrivesRamRecords()
    {
        // §11.7 item 1 over the 1 KiB target default guess: page_size 1024 from the trailer, no inference.
        var json = Encoding.ASCII.GetBytes("""{"page_size": 1024, "devices": []}""");
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(StartOrFull(0x01, 1, "ram", 0, 4))
            .At(25).Add(/* MEM_SIZE 0x800 */ Be64(0x804)).Add(Str8("pc.ram")).Add(/* used_length */ Be64(0x800))
            .At(48).Add(/* EOS */ Be64(0x10)).Add(Footer(1))
            .At(61).Add(/* END */ 0x03, 0x00, 0x00, 0x00, 0x01)
            .At(66).Add(/* PAGE at 0x400 */ Be64(0x408)).Add(Str8("pc.ram")).Add(Pattern(1024, 6))
            .At(1105).Add(/* ZERO|CONTINUE at 0 */ Be64(0x022)).Add(/* fill */ 0x00)
            .At(1114).Add(/* EOS */ Be64(0x10)).Add(Footer(1))
            .At(1127).Add(/* EOF */ 0x00)
            .Add(/* VMDESCRIPTION */ 0x06).Add(Be32((uint)json.Length)).Add(json)
            .ToArray();
        using var r = WireReader.Open(data);
        var recs = WireReader.ReadAll(r);
        Assert.Equal(1024, r.PageSize);
        Assert.Equal(PageSizeSource.Trailer, r.PageSizeSource);
        Assert.DoesNotContain(r.Diagnostics, d => d.Message.Contains("inferred", StringComparison.Ordinal));
        var end = recs.Single(x => x.Type == RecordType.SectionEnd).Items;
        Assert.Equal([IterativeItemKind.RamPage, IterativeItemKind.RamZero, IterativeItemKind.RamEos], end.Select(x => x.Item.Kind));
        Assert.Equal([0x400ul, 0, 0], end.Select(x => x.Item.PageOffset));
        Assert.Equal(1039, end[0].Item.Length);
        Assert.Equal(Pattern(1024, 6), end[0].Data);
        WireReader.AssertCopyIdentical(data);
    }

    [Fact]
    public void TruncatedTrailer_IsTruncated()
    {
        // §13.1: be32 L = 256 but only 18 JSON bytes follow.
        byte[] data =
        [
            .. Header,
            /* 0x08 EOF */ 0x00,
            /* 0x09 VMDESCRIPTION */ 0x06, /* be32 L = 256 */ 0x00, 0x00, 0x01, 0x00,
            /* 0x0E JSON, cut */ .. "{\"page_size\": 4096"u8,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.Truncated, e.Error);
        Assert.Equal(data.Length, e.Offset);
    }

    [Fact]
    public void InvalidJson_IsBadTrailer()
    {
        // §13.1: the framing is right but the text is not JSON.
        byte[] data = [.. Header, /* EOF */ 0x00, /* VMDESCRIPTION */ 0x06, /* be32 L = 5 */ 0x00, 0x00, 0x00, 0x05, .. "{abc}"u8];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadTrailer, e.Error);
    }

    [Theory]
    [InlineData(0x41, "Expected vmdescription section, but got 65")]
    [InlineData(0x00, "Expected vmdescription section, but got 0")]
    public void OtherBytesAfterEof_AreADiagnosticAndEndTheStream(byte b, string message)
    {
        // §13.1 / §17.2: after EOF a byte ≠ 0x06 is only a warning; QEMU's load succeeds.
        byte[] data = [.. Header, /* 0x08 EOF */ 0x00, /* 0x09 */ b, 0x42];
        using var r = WireReader.Open(data);
        var recs = WireReader.ReadAll(r);
        Assert.Equal([RecordType.FileHeader, RecordType.Eof], WireReader.Types(recs));
        Assert.Equal(new Diagnostic(9, message) { Kind = DiagnosticKind.NoTrailer }, Assert.Single(r.Diagnostics));
        Assert.False(r.Read());

        // The copier would drop these bytes, so it refuses.
        using var output = new MemoryStream();
        var e = Assert.Throws<VmStateFormatException>(() => StreamCopier.Copy(new MemoryStream(data), output));
        Assert.Equal(VmStateError.BadTrailer, e.Error);
        Assert.Equal(9, e.Offset);
    }

    [Fact]
    public void BytesAfterTheTrailer_AreADiagnostic()
    {
        // §13.1: nothing follows the trailer; QEMU ignores anything that does.
        var json = Encoding.ASCII.GetBytes("""{"page_size": 4096, "devices": []}""");
        byte[] data = Cat(Header, [/* EOF */ 0x00, /* VMDESCRIPTION */ 0x06], Be32((uint)json.Length), json, [/* extra */ 0x58, 0x58]);
        using var r = WireReader.Open(data);
        var recs = WireReader.ReadAll(r);
        Assert.Equal(RecordType.VmDescription, recs[^1].Type);
        Assert.Equal(9, recs[^1].RecordOffset);
        Assert.Equal(14, recs[^1].PayloadOffset);
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal(data.Length - 2, d.Offset);
        Assert.Equal(4096, r.OwnTrailer!.PageSize);
    }

    [Fact]
    public void WriterTrailer_IsTypeLengthJson()
    {
        // §13.1: u8 0x06, be32 L, L bytes.
        using var ms = new MemoryStream();
        using (var w = new VmStateWriter(ms, leaveOpen: true))
        {
            w.WriteEof();
            w.WriteTrailer("{}"u8);
        }
        Assert.Equal("0006000000027B7D", Convert.ToHexString(ms.ToArray()));
        using var doc = JsonDocument.Parse(ms.ToArray().AsMemory(6));
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
    }
}
