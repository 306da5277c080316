using System.Text.Json;
using System.Text.Json.Nodes;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Edit;

/// <summary><c>dump --json</c> then <c>compose</c> gives every real file back byte for byte; edits in the JSON are checked.</summary>
public sealed class ComposeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-compose-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static byte[] DumpJson(byte[] stream)
    {
        var dump = StateDump.Read(new MemoryStream(stream, writable: false));
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) StateJson.Write(dump, w, null, new MemoryStream(stream, writable: false));
        return buffer.ToArray();
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.All), MemberType = typeof(CorpusFiles))]
    public void DumpJson_ThenCompose_IsByteIdentical(string name)
    {
        var bytes = CorpusFiles.Bytes(name);
        using var output = new MemoryStream();
        StateComposer.Compose(DumpJson(bytes), output);
        var composed = output.ToArray();
        Assert.Equal(bytes.Length, composed.Length);
        Assert.True(bytes.AsSpan().SequenceEqual(composed), $"{name}: first difference at {bytes.AsSpan().CommonPrefixLength(composed)}");
    }

    [Fact]
    public void EditedJson_ComposesTheEdit_AndOutOfRangeIsRefused()
    {
        var src = File.ReadAllBytes(Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "full.mig"));
        var json = JsonNode.Parse(DumpJson(src))!;
        var rtc = json["sections"]!.AsArray().First(s => (string)s!["idstr"]! == "mc146818rtc")!;
        var index = rtc["fields"]!.AsArray().First(f => (string)f!["name"]! == "cmos_index")!;
        index["value"] = 0x2a;
        var path = Path.Combine(_dir, "state.json");
        File.WriteAllText(path, json.ToJsonString());
        var outPath = Path.Combine(_dir, "out.mig");
        Assert.Equal(0, Qevm.Cli.Program.Run(["compose", path, "-o", outPath], TextWriter.Null, TextWriter.Null));
        var edited = StateDump.Read(File.OpenRead(outPath));
        var v = (VmScalar)FieldPath.Resolve(edited.Sections, "mc146818rtc#0/cmos_index")!.Value.Value;
        Assert.Equal(0x2aUL, v.Bits);
        Assert.Equal(src.Length, new FileInfo(outPath).Length);

        index["value"] = 256; // a uint8
        File.WriteAllText(path, json.ToJsonString());
        var bad = Path.Combine(_dir, "bad.mig");
        var err = new StringWriter();
        Assert.NotEqual(0, Qevm.Cli.Program.Run(["compose", path, "-o", bad], TextWriter.Null, err));
        Assert.Contains("mc146818rtc#0/cmos_index", err.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(bad));

        // One element fewer in an array: refused, since the array's size no longer holds.
        index["value"] = 1;
        var cpu = json["sections"]!.AsArray().First(s => (string)s!["path"]! == "cpu#0")!;
        cpu["fields"]!.AsArray().First(f => (string)f!["name"]! == "env.regs")!["elements"]!.AsArray().RemoveAt(15);
        File.WriteAllText(path, json.ToJsonString());
        err = new StringWriter();
        Assert.NotEqual(0, Qevm.Cli.Program.Run(["compose", path, "-o", bad], TextWriter.Null, err));
        Assert.Contains("cpu#0/env.regs", err.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(bad));
    }

    private JsonNode FixtureJson() => JsonNode.Parse(DumpJson(File.ReadAllBytes(Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "full.mig"))))!;

    private (int Code, string Err) ComposeCli(JsonNode json)
    {
        var path = Path.Combine(_dir, "state.json");
        File.WriteAllText(path, json.ToJsonString());
        var (code, _, err) = Qevm.Tests.Cli.QevmCli.Run("compose", path, "-o", Path.Combine(_dir, "out.mig"));
        Assert.False(File.Exists(Path.Combine(_dir, "out.mig")));
        return (code, err);
    }

    [Fact]
    public void RecordWithoutType_IsOneLineNamingItsPath()
    {
        var json = FixtureJson();
        json["records"]![1]!.AsObject().Remove("type");
        var (code, err) = ComposeCli(json);
        Assert.Equal(1, code);
        Assert.Equal("qevm: invalid: $.records[1].type: missing\n", err.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void WrongTypedValues_NameTheirPath_AndTheRangeCheckOfValueParser()
    {
        var json = FixtureJson();
        int rtc = json["sections"]!.AsArray().Select((s, i) => (s, i)).First(x => (string)x.s!["idstr"]! == "mc146818rtc").i;
        var fields = json["sections"]![rtc]!["fields"]!.AsArray();
        int index = fields.Select((f, i) => (f, i)).First(x => (string)x.f!["name"]! == "cmos_index").i;

        fields[index]!["value"] = "abc";
        var (code, err) = ComposeCli(json);
        Assert.Equal(1, code);
        Assert.Equal($"qevm: invalid: $.sections[{rtc}].fields[{index}].value: mc146818rtc#0/cmos_index: expected a number, found a string\n", err.ReplaceLineEndings("\n"));

        fields[index]!["value"] = -1;
        (code, err) = ComposeCli(json);
        Assert.Equal(1, code);
        Assert.Equal($"qevm: invalid: $.sections[{rtc}].fields[{index}].value: mc146818rtc#0/cmos_index: -1: the field is unsigned\n", err.ReplaceLineEndings("\n"));

        var e = Assert.Throws<VmStateFormatException>(() => StateComposer.Compose(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), Stream.Null));
        Assert.Equal(VmStateError.BadDocument, e.Error);
        Assert.Equal($"$.sections[{rtc}].fields[{index}].value", e.JsonPath);

        fields[index]!["value"] = 1;
        json["records"]![0]!["version"] = "3";
        (code, err) = ComposeCli(json);
        Assert.Equal(1, code);
        Assert.Equal("qevm: invalid: $.records[0].version: expected an unsigned 32-bit integer, found a string\n", err.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void NotJson_AndNoRecords_AreOneLine_WithAdviceFromTheCli()
    {
        var path = Path.Combine(_dir, "state.json");
        File.WriteAllText(path, "{\"records\": [1,");
        var (code, _, err) = Qevm.Tests.Cli.QevmCli.Run("compose", path, "-o", Path.Combine(_dir, "out.mig"));
        Assert.Equal(1, code);
        Assert.Equal("qevm: invalid: $: expected the JSON of `dump --json`, found no valid JSON at line 1, byte 15\n", err.ReplaceLineEndings("\n"));

        var json = FixtureJson();
        json.AsObject().Remove("records");
        (code, err) = ComposeCli(json);
        Assert.Equal(1, code);
        Assert.Equal("qevm: invalid: $.records: missing (give the output of `qevm dump --json` without --section)\n", err.ReplaceLineEndings("\n"));
        var e = Assert.Throws<VmStateFormatException>(() => StateComposer.Compose(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), Stream.Null));
        Assert.DoesNotContain("--", e.Message, StringComparison.Ordinal);
    }
}
