using System.Diagnostics;
using System.Text.Json.Nodes;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Cli;

/// <summary>The command line: exit codes 0/1/2, one-line errors without stack traces, safe output, stdin and stdout.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    private static string Fixture(string name) => Path.Combine(CorpusFiles.FixturesDir, name);

    [Fact]
    public void Info_Json_HasTheIssueShape()
    {
        var (code, output, err) = Run("info", Fixture("x86-pc/full.mig"), "--json");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        var j = JsonNode.Parse(output)!;
        Assert.Equal(3, (int)j["version"]!);
        Assert.Equal("migration", (string)j["kind"]!);
        Assert.True((bool)j["footers"]!);
        Assert.Equal("pc-i440fx-7.2", (string)j["configuration"]!["machine"]!);
        var first = j["sections"]![0]!;
        Assert.Equal("start", (string)first["type"]!);
        Assert.Equal("ram", (string)first["idstr"]!);
        Assert.Equal(26, (long)first["record_offset"]!);
        Assert.Equal(4096, (int)j["ram"]!["page_size"]!);
        Assert.Equal("pc.ram", (string)j["ram"]!["blocks"]![0]!["name"]!);
        Assert.Equal(16L << 20, (long)j["ram"]!["blocks"]![0]!["length"]!);
        Assert.NotNull(j["trailer"]);
        Assert.Equal(new FileInfo(Fixture("x86-pc/full.mig")).Length, (long)j["trailer"]!["offset"]! + 5 + (long)j["trailer"]!["length"]!);
    }

    [Fact]
    public void Info_Human_ListsSections()
    {
        var (code, output, _) = Run("info", Fixture("x86-pc/device.state"));
        Assert.Equal(0, code);
        Assert.Contains("device-state", output, StringComparison.Ordinal);
        Assert.Contains("globalstate", output, StringComparison.Ordinal);
        Assert.Contains("mc146818rtc", output, StringComparison.Ordinal);
        Assert.Contains("trailer: none", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_Valid_ExitsZero()
    {
        var (code, output, _) = Run("check", Fixture("x86-pc-smp2/device.state"));
        Assert.Equal(0, code);
        Assert.Contains("valid device-state", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_Invalid_OneLineWithOffsetAndQemuWords_ExitsOne()
    {
        var bytes = File.ReadAllBytes(Fixture("x86-pc/device.state"));
        var info = StreamInfo.Read(new MemoryStream(bytes));
        var port92 = info.Sections.First(s => s.Header.Idstr == "port92");
        bytes[port92.FooterOffset!.Value + 4] ^= 0x01; // footer names another section
        var path = Path.Combine(_dir, "bad.state");
        File.WriteAllBytes(path, bytes);
        var (code, output, err) = Run("check", path);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("qevm: invalid: offset 0x", line, StringComparison.Ordinal);
        Assert.Contains("Mismatched section id in footer for port92", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);

        var (jcode, json, _) = Run("check", path, "--json");
        Assert.Equal(1, jcode);
        var j = JsonNode.Parse(json)!;
        Assert.False((bool)j["valid"]!);
        Assert.Equal("BadFooter", (string)j["error"]!["code"]!);
        Assert.Equal(port92.FooterOffset!.Value + 1, (long)j["error"]!["offset"]!);
    }

    [Fact]
    public void UsageAndIoErrors_ExitTwo()
    {
        Assert.Equal(2, Run().Code);
        Assert.Equal(2, Run("info").Code);
        Assert.Equal(2, Run("frobnicate").Code);
        Assert.Equal(2, Run("convert", Fixture("x86-pc/full.mig")).Code); // -o missing
        var (code, _, err) = Run("info", Path.Combine(_dir, "missing.mig"));
        Assert.Equal(2, code);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Convert_WritesIdenticalBytes_AndRefusesItsInput()
    {
        var src = Path.Combine(_dir, "in.mig");
        File.Copy(Fixture("x86-pc/full.mig"), src);
        var dst = Path.Combine(_dir, "out.mig");
        Assert.Equal(0, Run("convert", src, "-o", dst).Code);
        Assert.Equal(File.ReadAllBytes(src), File.ReadAllBytes(dst));

        var before = File.ReadAllBytes(src);
        var (code, _, err) = Run("convert", src, "-o", src);
        Assert.Equal(2, code);
        Assert.Contains("refusing to write over the input", err, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(src));
    }

    [Fact]
    public void Convert_OfInvalidInput_LeavesNoOutputFile()
    {
        var bytes = File.ReadAllBytes(Fixture("x86-pc/full.mig"));
        var src = Path.Combine(_dir, "cut.mig");
        File.WriteAllBytes(src, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var dst = Path.Combine(_dir, "out.mig");
        Assert.Equal(1, Run("convert", src, "-o", dst).Code);
        Assert.False(File.Exists(dst));
        Assert.Equal([Path.GetFileName(src)], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task StdinAndStdout_WithDash()
    {
        // A real process, so that standard input is a pipe.
        var dll = Path.Combine(AppContext.BaseDirectory, "Qevm.Cli.dll");
        var input = File.ReadAllBytes(Fixture("x86-pc/full.mig"));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[dll, "convert", "-", "-o", "-"]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var reader = Task.Run(() =>
        {
            using var ms = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(ms);
            return ms.ToArray();
        });
        await p.StandardInput.BaseStream.WriteAsync(input);
        p.StandardInput.Close();
        var output = await reader;
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(input, output);
    }
}

/// <summary>Device-state files without footers (Xen's layout, §9.2) need a description: --schema gives one.</summary>
public sealed class SchemaOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-schema-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("x86-pc")]
    [InlineData("x86-pc-smp2")]
    public void DeviceStateWithoutFooters_NeedsSchema_AndReadsWithTheStreamsTrailer(string fixture)
    {
        var dir = Path.Combine(CorpusFiles.FixturesDir, fixture);
        var bytes = File.ReadAllBytes(Path.Combine(dir, "device.state"));
        var info = StreamInfo.Read(new MemoryStream(bytes));
        var stripped = CorpusFiles.WithoutFooters(bytes);
        var path = Path.Combine(_dir, "nofooters.state");
        File.WriteAllBytes(path, stripped);

        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(1, Qevm.Cli.Program.Run(["check", path], o, e));
        Assert.Contains("give a schema", e.ToString(), StringComparison.Ordinal);

        var schema = Path.Combine(dir, "full.mig");
        Assert.Equal(0, Qevm.Cli.Program.Run(["check", path, "--schema", schema], o, e));
        var noFooters = StreamInfo.Read(new MemoryStream(stripped), new VmStateReaderOptions { Description = Trailer.Load(schema) });
        Assert.False(noFooters.Footers);
        Assert.Equal(info.Sections.Select(s => (s.Header.Idstr, s.Header.InstanceId, s.PayloadLength)),
            noFooters.Sections.Select(s => (s.Header.Idstr, s.Header.InstanceId, s.PayloadLength)));

        var copy = Path.Combine(_dir, "copy.state");
        Assert.Equal(0, Qevm.Cli.Program.Run(["convert", path, "-o", copy, "--schema", schema], o, e));
        Assert.Equal(stripped, File.ReadAllBytes(copy));
    }
}
