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
}
