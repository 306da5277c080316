using System.Text.Json.Nodes;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Cli;

/// <summary>
/// <c>check --target</c> uses what the target gives: a stream's machine type, sections and versions; a trailer's
/// sections and versions; and says what it could not check instead of a silent "valid".
/// </summary>
public sealed class CheckTargetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-target-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(CorpusFiles.FixturesDir, name);

    // The fixture stream with its bytes patched where `find` first occurs.
    private string Patched(string fixture, byte[] find, int at, byte[] replace, string name)
    {
        var bytes = File.ReadAllBytes(Fixture(fixture));
        int i = bytes.AsSpan().IndexOf(find);
        Assert.True(i >= 0);
        replace.CopyTo(bytes, i + at);
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void StreamTarget_OfAnotherMachineType_IsRefusedWithQemusMessage()
    {
        var other = Patched("x86-pc/full.mig", "\rpc-i440fx-7.2"u8.ToArray(), 0, "\rpc-i440fx-9.2"u8.ToArray(), "other-machine.mig");
        Assert.Equal(0, QevmCli.Run("check", other).Code);
        var (code, output, err) = QevmCli.Run("check", other, "--target", Fixture("x86-pc/full.mig"));
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("qevm: the target refuses: offset 0x8 (8): configuration: Machine type received is 'pc-i440fx-9.2' and local is 'pc-i440fx-7.2'\n",
            err.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void StreamTarget_WithoutASection_IsRefused_AndAHigherVersionToo()
    {
        var (code, _, err) = QevmCli.Run("check", Fixture("x86-pc-smp2/full.mig"), "--target", Fixture("x86-pc/full.mig"));
        Assert.Equal(1, code);
        Assert.Contains("'cpu_common' #1", err, StringComparison.Ordinal);
        Assert.Contains(": Unknown savevm section or instance 'cpu_common' 1. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices\n",
            err.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("Machine type", err, StringComparison.Ordinal);

        // mc146818rtc v3 in the fixture: the same stream with v4 is refused by the QEMU that wrote v3.
        var v4 = Patched("x86-pc/full.mig", "\x0bmc146818rtc\0\0\0\0\0\0\0\x03"u8.ToArray(), 19, [0x04], "rtc-v4.mig");
        (code, _, err) = QevmCli.Run("check", v4, "--target", Fixture("x86-pc/full.mig"));
        Assert.Equal(1, code);
        var line = Assert.Single(err.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'));
        Assert.EndsWith("'mc146818rtc' #0 at 0x79477: savevm: unsupported version 4 for 'mc146818rtc' v3", line, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamTarget_ThatMatches_SaysWhatItDidNotCheck()
    {
        var (code, output, err) = QevmCli.Run("check", Fixture("x86-pc/full.mig"), "--target", Fixture("x86-pc/full.mig"));
        Assert.Equal(0, code);
        Assert.Equal("", err);
        var lines = output.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.StartsWith(Fixture("x86-pc/full.mig") + ": valid migration", lines[0], StringComparison.Ordinal);
        Assert.Equal("target full.mig (migration stream): no refusal found; not checked: minimum versions (only -dump-vmstate output gives them)", lines[^1]);

        (code, output, _) = QevmCli.Run("check", Fixture("x86-pc/full.mig"), "--target", Fixture("x86-pc/full.mig"), "--json");
        Assert.Equal(0, code);
        var j = JsonNode.Parse(output)!;
        Assert.True((bool)j["valid"]!);
        Assert.Equal("pc-i440fx-7.2", (string)j["target"]!["machine"]!);
        Assert.Equal("minimum versions (only -dump-vmstate output gives them)", (string)j["target"]!["not_checked"]![0]!);
    }

    [Fact]
    public void TrailerTarget_ChecksSections_AndSaysTheMachineTypeWasNotChecked()
    {
        var trailer = Trailer.FromStream(File.OpenRead(Fixture("x86-pc/full.mig")), "full.mig");
        var path = Path.Combine(_dir, "trailer.json");
        File.WriteAllBytes(path, trailer.Json.ToArray());

        var (code, output, err) = QevmCli.Run("check", Fixture("x86-pc/full.mig"), "--target", path);
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.EndsWith("target trailer.json (trailer JSON): no refusal found; not checked: the machine type (trailer JSON trailer.json names none) (give --machine); " +
            "minimum versions (only -dump-vmstate output gives them); the RAM blocks (trailer JSON trailer.json lists none)\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        (code, _, err) = QevmCli.Run("check", Fixture("x86-pc-smp2/full.mig"), "--target", path);
        Assert.Equal(1, code);
        Assert.Contains("Unknown savevm section or instance 'cpu' 1.", err, StringComparison.Ordinal);

        (code, _, err) = QevmCli.Run("check", Fixture("x86-pc/full.mig"), "--target", path, "--machine", "pc-q35-7.2");
        Assert.Equal(1, code);
        Assert.Contains("Machine type received is 'pc-i440fx-7.2' and local is 'pc-q35-7.2'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void DumpVmStateTarget_SaysItCannotCheckTheSections()
    {
        var (code, output, _) = QevmCli.Run("check", Fixture("x86-pc-smp2/full.mig"), "--target", Fixture("x86-pc/schema.json.gz"));
        Assert.Equal(0, code);
        Assert.EndsWith("target schema.json.gz (-dump-vmstate output): no refusal found; not checked: which sections and instances the target has " +
            "(-dump-vmstate output has no instance ids and lacks sections every QEMU has); the RAM blocks (-dump-vmstate output schema.json.gz lists none)\n",
            output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedCatalogue_IsOneLineNamingTheJsonPath()
    {
        var cat = Path.Combine(_dir, "cat.json");
        Assert.Equal(0, QevmCli.Run("schema", "harvest", Fixture("x86-pc/full.mig"), "-o", cat).Code);
        var (code, _, err) = QevmCli.Run("check", Fixture("x86-pc-smp2/full.mig"), "--target", cat);
        Assert.Equal(1, code);
        Assert.Contains("Unknown savevm section or instance 'cpu' 1.", err, StringComparison.Ordinal);

        var json = JsonNode.Parse(File.ReadAllText(cat))!;
        json["sources"]![0]!["sections"]![0]![1] = "0";
        File.WriteAllText(cat, json.ToJsonString());
        (code, _, err) = QevmCli.Run("check", Fixture("x86-pc/full.mig"), "--target", cat);
        Assert.Equal(1, code);
        Assert.Equal("qevm: invalid: $.sources[0].sections[0][1]: expected an unsigned 32-bit integer, found a string\n", err.ReplaceLineEndings("\n"));

        json["descriptions"]![0]!.AsObject().Remove("variants");
        File.WriteAllText(cat, json.ToJsonString());
        var e = Assert.Throws<VmStateFormatException>(() => SchemaFile.Load(cat));
        Assert.Equal("$.sources[0].sections[0][1]", e.JsonPath);
        json["sources"]![0]!["sections"]![0]![1] = 0;
        File.WriteAllText(cat, json.ToJsonString());
        (code, _, err) = QevmCli.Run("dump", Fixture("x86-pc/device.state"), "--schema", cat);
        Assert.Equal(1, code);
        Assert.Equal("qevm: invalid: $.descriptions[0].variants: missing\n", err.ReplaceLineEndings("\n"));
    }
}
