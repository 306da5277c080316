using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Qevm.Tests.Corpus;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Cli;

/// <summary>
/// <c>qevm report</c>: the page is rendered by headless Chromium (Debian's <c>chromium</c>), logs nothing to the
/// console, loads nothing from outside, and shows the numbers <c>info --json</c> gives.
/// </summary>
public sealed partial class ReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex("data-k=\"([a-z0-9_]+)\">([^<]*)<")]
    private static partial Regex DataK();

    // Chromium's rendered DOM and what it logged (console messages come as lines with ":CONSOLE").
    private (string Dom, string Log) Render(string html, string screenshot)
    {
        string url = new Uri(html).AbsoluteUri;
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", $"--user-data-dir={Path.Combine(_dir, "profile")}"];
        var (code, dom, log) = ProgramRunner.Run("chromium", [.. common, "--dump-dom", url]);
        Assert.True(code == 0, log);
        var (shot, _, shotLog) = ProgramRunner.Run("chromium", [.. common, $"--screenshot={screenshot}", "--window-size=1000,2000", url]);
        Assert.True(shot == 0, shotLog);
        return (dom, log + shotLog);
    }

    [Theory]
    [InlineData("x86-pc/full.mig")]
    [InlineData("x86-pc/device.state")]
    public void Report_RendersInChromium_WithInfosNumbers(string fixture)
    {
        string input = Path.Combine(CorpusFiles.FixturesDir, fixture);
        string html = Path.Combine(_dir, "report.html");
        var (code, _, err) = QevmCli.Run("report", input, "-o", html);
        Assert.True(code == 0, err);
        string page = File.ReadAllText(html);
        // Self-contained: no script, no link, nothing fetched.
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("(src|href)=|url\\(", page);

        string png = Path.Combine(_dir, "report.png");
        var (dom, log) = Render(html, png);
        Assert.DoesNotContain(":CONSOLE", log, StringComparison.Ordinal);
        Assert.True(new FileInfo(png).Length > 10_000, "a screenshot with something on it");

        var shown = DataK().Matches(dom).ToDictionary(m => m.Groups[1].Value, m => System.Net.WebUtility.HtmlDecode(m.Groups[2].Value));
        var (_, json, _) = QevmCli.Run("info", input, "--json");
        var info = JsonNode.Parse(json)!;
        Assert.Equal("valid", shown["verdict"]);
        Assert.Equal((string)info["kind"]!, shown["kind"]);
        Assert.Equal(info["sections"]!.AsArray().Count.ToString(System.Globalization.CultureInfo.InvariantCulture), shown["sections"]);
        Assert.Equal(((long)info["eof_offset"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), shown["eof_offset"]);
        Assert.Equal((string?)info["configuration"]?["machine"] ?? "-", shown["machine"]);
        if (info["ram"] is JsonObject ram)
        {
            foreach (var k in new[] { "page_size", "pages", "zero_pages", "xbzrle_pages", "compressed_pages" })
                Assert.Equal(((long)ram[k]!).ToString(System.Globalization.CultureInfo.InvariantCulture), shown[k]);
            Assert.Equal("1", shown["passes"]);
        }
        else
        {
            Assert.False(shown.ContainsKey("pages"));
        }
    }

    [Fact]
    public void ReportOfALiveMigration_CountsItsPasses()
    {
        // A stream whose guest ran while it was sent (the shared corpus's), else the fixture, whose guest was stopped.
        var live = Path.Combine(CorpusFiles.SharedDir, "corpus", "x86-live-running");
        string input = Directory.Exists(live) ? Directory.GetFiles(live, "*.mig")[0] : Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "full.mig");
        string html = Path.Combine(_dir, "live.html");
        var (code, _, err) = QevmCli.Run("report", input, "-o", html);
        Assert.True(code == 0, err);
        var shown = DataK().Matches(File.ReadAllText(html)).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        // The live corpus stream went over RAM 11 times; the fixture's guest was stopped: one pass.
        Assert.Equal(Directory.Exists(live) ? "11" : "1", shown["passes"]);
    }

    [Fact]
    public void Report_ShowsEveryCpusRegisters_AsTheCpuSectionsHoldThem()
    {
        string input = Path.Combine(CorpusFiles.FixturesDir, "x86-pc-smp2", "full.mig");
        string html = Path.Combine(_dir, "cpus.html");
        Assert.Equal(0, QevmCli.Run("report", input, "-o", html).Code);
        var shown = DataK().Matches(File.ReadAllText(html)).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        StateDump dump;
        using (var f = File.OpenRead(input)) dump = StateDump.Read(f);
        var cpus = Qevm.Guest.X86CpuState.FromState(dump);
        Assert.Equal(2, cpus.Count);
        foreach (var c in cpus)
        {
            Assert.Equal($"0x{c.Eip:x16}", shown[$"cpu{c.Index}_rip"]);
            Assert.Equal($"0x{c.Regs[4]:x16}", shown[$"cpu{c.Index}_rsp"]);
            Assert.Equal($"0x{c.Cr[0]:x16}", shown[$"cpu{c.Index}_cr0"]);
        }
        Assert.NotEqual(shown["cpu0_rip"], shown["cpu1_rip"]);
    }

    [Fact]
    public void ReportWithDiff_ShowsWhatQevmDiffFinds()
    {
        string a = Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "full.mig");
        string b = Path.Combine(_dir, "edited.mig");
        Assert.Equal(0, QevmCli.Run("set", a, "-o", b, "mc146818rtc#0/cmos_index=0x0c", "i8259#1/imr=0x5a").Code);
        string html = Path.Combine(_dir, "diff.html");
        var (code, _, err) = QevmCli.Run("report", a, "--diff", b, "-o", html);
        Assert.True(code == 0, err);
        var page = File.ReadAllText(html);
        var shown = DataK().Matches(page).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        var diff = JsonNode.Parse(QevmCli.Run("diff", a, b, "--json").Out)!;
        Assert.Equal(diff["fields"]!.AsArray().Count.ToString(System.Globalization.CultureInfo.InvariantCulture), shown["fields"]);
        Assert.Equal("2", shown["fields"]);
        Assert.Equal("0", shown["only_in_a"]);
        Assert.Equal("0", shown["ram_blocks"]);
        foreach (var f in diff["fields"]!.AsArray())
            Assert.Contains($"<tr><td>{(string)f!["path"]!}</td><td>{(string)f["a"]!}</td><td>{(string)f["b"]!}</td></tr>", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportOfAnInvalidFile_SaysWhy_AndExits1()
    {
        var bytes = File.ReadAllBytes(Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "device.state"));
        string input = Path.Combine(_dir, "cut.state");
        File.WriteAllBytes(input, bytes[..100]);
        string html = Path.Combine(_dir, "cut.html");
        var (code, _, err) = QevmCli.Run("report", input, "-o", html);
        Assert.Equal(1, code);
        Assert.StartsWith("qevm: invalid: ", err, StringComparison.Ordinal);
        var page = File.ReadAllText(html);
        Assert.Contains("data-k=\"verdict\">invalid<", page, StringComparison.Ordinal);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(err["qevm: invalid: ".Length..].Trim()), page, StringComparison.Ordinal);
    }
}
