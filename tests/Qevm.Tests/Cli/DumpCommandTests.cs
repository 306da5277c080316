using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Cli;

/// <summary><c>qevm dump</c>: JSON with paths, offsets and exact values; schemas for device-state files; the tree.</summary>
public class DumpCommandTests
{
    private static string Fixture(string name) => Path.Combine(CorpusFiles.FixturesDir, name);

    private static JsonNode DumpJson(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(["dump", "--json", .. args], o, e) == 0, e.ToString());
        return JsonNode.Parse(o.ToString())!;
    }

    [Fact]
    public void Json_FieldsHavePathsOffsetsAndTheBytesValues()
    {
        var file = Fixture("x86-pc-smp2/full.mig");
        var bytes = File.ReadAllBytes(file);
        var j = DumpJson(file, "--section", "cpu#1");
        var section = Assert.Single(j["sections"]!.AsArray())!;
        Assert.Equal("cpu#1", (string)section["path"]!);
        Assert.True((bool)section["certain"]!);
        Assert.Equal("trailer", (string)section["schema"]!);
        var regs = section["fields"]!.AsArray().First(f => (string)f!["name"]! == "env.regs")!;
        Assert.Equal("array", (string)regs["type"]!);
        var elements = regs["elements"]!.AsArray();
        Assert.Equal(16, elements.Count);
        foreach (var (el, i) in elements.Select((e, i) => (e!, i)))
        {
            Assert.Equal($"cpu#1/env.regs[{i}]", (string)el["path"]!);
            Assert.Equal("uint64", (string)el["type"]!);
            long offset = (long)el["offset"]!;
            Assert.Equal(BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan((int)offset)), (ulong)el["value"]!);
        }
        // Every leaf's size adds up to the section's data.
        long total = section["fields"]!.AsArray().Sum(f => (long)f!["size"]!);
        Assert.Equal((long)section["payload_length"]!, total);
    }

    [Fact]
    public void DeviceState_RawWithoutSchema_DecodedWithTheStreamAsSchema()
    {
        var dev = Fixture("x86-pc/device.state");
        var raw = DumpJson(dev);
        Assert.All(raw["sections"]!.AsArray(), s => Assert.False((bool)s!["certain"]!));
        Assert.All(raw["sections"]!.AsArray(), s => Assert.NotNull(s!["raw"]));

        var decoded = DumpJson(dev, "--schema", Fixture("x86-pc/full.mig"));
        Assert.All(decoded["sections"]!.AsArray(), s =>
        {
            Assert.True((bool)s!["certain"]!);
            Assert.Equal("full.mig", (string)s["schema"]!);
        });
        var rtc = decoded["sections"]!.AsArray().First(s => (string)s!["idstr"]! == "mc146818rtc")!;
        Assert.Equal("mc146818rtc#0/cmos_data", (string)rtc["fields"]![0]!["path"]!);
    }

    [Fact]
    public void Piped_OneLinePerValueWithItsPath()
    {
        var o = new StringWriter();
        Assert.Equal(0, Qevm.Cli.Program.Run(["dump", Fixture("x86-pc/full.mig"), "--section", "globalstate"], o, TextWriter.Null));
        var text = o.ToString();
        Assert.Contains("globalstate#0", text, StringComparison.Ordinal);
        // Piped output: one line per value with its full path.
        Assert.Contains("  globalstate#0/size = 7 (0x7)", text, StringComparison.Ordinal);
        Assert.Contains("  globalstate#0/runstate = ", text, StringComparison.Ordinal);
    }
}

/// <summary><c>qevm dump</c> succeeds on every real file, also those analyze-migration.py cannot read.</summary>
public class DumpEveryFileTests
{
    [Theory]
    [MemberData(nameof(CorpusFiles.All), MemberType = typeof(CorpusFiles))]
    public void Dump_Json_ExitsZero_AndDecodesEverySectionItCan(string name)
    {
        var path = CorpusFiles.FilePath(name);
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(["dump", "--json", path], o, e) == 0, e.ToString());
        var sections = JsonNode.Parse(o.ToString())!["sections"]!.AsArray();
        Assert.NotEmpty(sections);
        // A stream with its own trailer decodes every section but QEMU 7.2's mis-described s390_css.
        if (name.EndsWith("full.mig", StringComparison.Ordinal) || name.EndsWith("full.mig.gz", StringComparison.Ordinal))
        {
            bool hasTrailer = !name.Contains("suppress", StringComparison.Ordinal);
            foreach (var s in sections)
            {
                bool expected = hasTrailer && !(name.StartsWith("corpus/s390x", StringComparison.Ordinal) && (string)s!["idstr"]! == "s390_css");
                Assert.True(expected == (bool)s!["certain"]!, $"{name}: {(string)s["path"]!}");
            }
        }
    }
}
