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
    public void MappedFile_GivesTheSameTable_AndConvertsIdentically(string name)
    {
        var bytes = CorpusFiles.Bytes(name);
        var path = CorpusFiles.FilePath(name);
        StreamInfo mapped;
        using (var fs = File.OpenRead(path)) mapped = StreamInfo.Read(fs);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) mapped.WriteJson(w);
        var expected = InfoJson(bytes);
        var actual = JsonNode.Parse(ms.ToArray())!;
        foreach (var key in OracleKeys)
            Assert.True(JsonNode.DeepEquals(expected[key], actual[key]), $"{name}: '{key}' differs when the file is mapped");
        using var copy = new MemoryStream();
        using (var fs = File.OpenRead(path)) StreamCopier.Copy(fs, copy);
        Assert.True(bytes.AsSpan().SequenceEqual(copy.ToArray()), $"{name}: convert of the mapped file differs");
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

/// <summary>
/// Each case's device.state with its footers removed (the Xen layout) is delimited by the description in the
/// case's full.mig trailer, section for section.
/// </summary>
public class DescriptionDelimitingTests
{
    // No trailer to take a description from, or (7.2 s390x) a trailer that describes s390_css wrongly (§13.7).
    private static readonly HashSet<string> Excluded = ["x86-pc-suppress-vmdesc", "x86-suppress-vmdesc", "s390x-ccw-virtio@corpus"];

    public static IEnumerable<object[]> Cases()
    {
        foreach (var (name, _) in CorpusFiles.Enumerate())
        {
            var parts = name.Split('/');
            if (parts[2] != "device.state" || Excluded.Contains(parts[1]) || Excluded.Contains(parts[1] + "@" + parts[0])) continue;
            yield return [name];
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DeviceStateWithoutFooters_IsDelimitedByTheStreamsTrailer(string name)
    {
        var bytes = CorpusFiles.Bytes(name);
        var info = StreamInfo.Read(new MemoryStream(bytes));
        var stripped = CorpusFiles.WithoutFooters(bytes);
        var streamName = CorpusFiles.Enumerate().First(e => e.Name.StartsWith(name[..^"device.state".Length] + "full.mig", StringComparison.Ordinal)).Name;
        var description = Codec.DecodeCorpusTests.TrailerOf(streamName);
        var read = StreamInfo.Read(new MemoryStream(stripped), new VmStateReaderOptions { Description = description });
        Assert.False(read.Footers);
        Assert.Equal(info.Sections.Select(s => (s.Header.Idstr, s.Header.InstanceId, s.PayloadLength)),
            read.Sections.Select(s => (s.Header.Idstr, s.Header.InstanceId, s.PayloadLength)));
    }
}
