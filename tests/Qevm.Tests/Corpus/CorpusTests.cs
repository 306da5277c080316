using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qevm.Tests.Corpus;

/// <summary>Every real QEMU file: the record table equals the oracle, convert is byte-identical, pipes read the same.</summary>
public class CorpusTests
{
    private static readonly string[] OracleKeys =
        ["version", "kind", "footers", "configuration", "commands", "sections", "eof_offset", "trailer", "ram", "description_mismatch"];

    internal static JsonNode InfoJson(byte[] bytes, bool pipe = false)
    {
        Stream s = new MemoryStream(bytes, writable: false);
        if (pipe) s = new NonSeekableStream(s);
        StreamInfo info;
        using (s) info = StreamInfo.Read(s);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) info.WriteJson(w);
        return JsonNode.Parse(ms.ToArray())!;
    }

    [Fact]
    public void SharedCorpus_IsUsedWhenPresent()
    {
        // A fresh clone has only the fixtures; beside ../shared all 48 corpus files must be picked up.
        int n = CorpusFiles.Enumerate().Count(e => !e.Name.StartsWith("fixtures/", StringComparison.Ordinal));
        Assert.Equal(CorpusFiles.SharedCorpusPresent ? 48 : 0, n);
        Assert.True(CorpusFiles.Enumerate().Count(e => e.Name.StartsWith("fixtures/", StringComparison.Ordinal)) >= 4);
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.WithOracle), MemberType = typeof(CorpusFiles))]
    public void Info_MatchesOracle(string name)
    {
        var oracle = JsonNode.Parse(File.ReadAllText(CorpusFiles.OraclePath(CorpusFiles.PathOf(name))!))!;
        var actual = InfoJson(CorpusFiles.Bytes(name));
        foreach (var key in OracleKeys)
            Assert.True(JsonNode.DeepEquals(oracle[key], actual[key]), $"{name}: '{key}' differs:\n  oracle {oracle[key]?.ToJsonString()}\n  qevm   {actual[key]?.ToJsonString()}");
        Assert.NotEmpty(actual["sections"]!.AsArray());
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.All), MemberType = typeof(CorpusFiles))]
    public void Convert_IsByteIdentical(string name)
    {
        var bytes = CorpusFiles.Bytes(name);
        using var output = new MemoryStream();
        StreamCopier.Copy(new MemoryStream(bytes, writable: false), output);
        var copy = output.ToArray();
        Assert.Equal(bytes.Length, copy.Length);
        int first = bytes.AsSpan().CommonPrefixLength(copy);
        Assert.True(first == bytes.Length, $"{name}: first difference at offset {first}");
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.All), MemberType = typeof(CorpusFiles))]
    public void Pipe_GivesTheSameTable(string name)
    {
        var bytes = CorpusFiles.Bytes(name);
        var seekable = InfoJson(bytes);
        var pipe = InfoJson(bytes, pipe: true);
        // On a pipe the trailer comes last, so a description/footer disagreement is not measured; all else is equal.
        foreach (var key in OracleKeys)
            if (key != "description_mismatch")
                Assert.True(JsonNode.DeepEquals(seekable[key], pipe[key]), $"{name}: '{key}' differs on a pipe");
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.All), MemberType = typeof(CorpusFiles))]
    public void Info_SectionsTileTheFile(string name)
    {
        // Every byte between the header and EOF belongs to exactly one record: the table has no gaps or overlaps.
        var bytes = CorpusFiles.Bytes(name);
        var info = StreamInfo.Read(new MemoryStream(bytes, writable: false));
        long expected = info.Configuration is null ? 8 : 9 + info.ConfigurationLength;
        var records = new List<(long Offset, long End)>();
        foreach (var c in info.Commands) records.Add((c.Offset, c.Offset + 5 + c.Length));
        foreach (var s in info.Sections) records.Add((s.RecordOffset, s.PayloadOffset + s.PayloadLength + (s.FooterOffset is null ? 0 : 5)));
        records.Sort();
        foreach (var (offset, end) in records)
        {
            if (offset != expected)
            {
                // A PACKAGED command's blob holds the records that follow it.
                Assert.Fail($"{name}: record at {offset}, expected one at {expected}");
            }
            expected = end;
        }
        Assert.Equal(expected, info.EofOffset);
    }
}
