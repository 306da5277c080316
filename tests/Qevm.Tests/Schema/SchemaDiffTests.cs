using System.Text.Json;
using System.Text.Json.Nodes;
using Qevm.Compatibility;
using Qevm.Tests.Cli;
using Xunit.Abstractions;

namespace Qevm.Tests.Schema;

/// <summary>
/// <c>qevm schema diff</c> against QEMU's vmstate-static-checker.py and real migrations: every message of the
/// script is found or explained as a false alarm; a stream that really migrated between two versions gives nothing
/// blocking; a stream NEW refuses gives exit 1 with QEMU's reason.
/// </summary>
public sealed class SchemaDiffTests(SchemaDiffQemus qemus, ITestOutputHelper output) : IClassFixture<SchemaDiffQemus>
{
    private static SchemaDiffResult Diff(string old, string @new, string? stream = null) =>
        SchemaDiff.Compare(SchemaSideResolver.FromFile(old), SchemaSideResolver.FromFile(@new), stream is null ? null : SchemaSideResolver.FromFile(stream));

    private void Report(string pair, List<SchemaDiffStaticChecker.Explanation> explained, SchemaDiffResult ours)
    {
        output.WriteLine($"{pair}: script {explained.Count} messages ({explained.Count(e => e.Found)} found by schema diff, {explained.Count(e => !e.Found)} false alarms); " +
            $"schema diff {ours.Refused} refuse, {ours.ReadWrongly} read wrongly, {ours.Accepted} accept");
        foreach (var e in explained) output.WriteLine($"  {(e.Found ? "found" : "false alarm")}: {e.Message} -> {e.Why ?? "UNEXPLAINED"}");
    }

    [Fact]
    public void StaticCheckerTestData_EveryMessageIsFoundOrExplained()
    {
        string dump1 = Path.Combine(SchemaDiffStaticChecker.Data, "dump1.json"), dump2 = Path.Combine(SchemaDiffStaticChecker.Data, "dump2.json");
        var messages = SchemaDiffStaticChecker.Run(dump1, dump2);
        var ours = Diff(dump1, dump2);
        var explained = SchemaDiffStaticChecker.Explain(messages, dump1, dump2, ours);
        Report("dump1 -> dump2", explained, ours);
        Assert.Equal(13, messages.Count);
        Assert.All(explained, e => Assert.True(e.Why is not null, "unexplained: " + e.Message));
        // The type renamed with its description kept (fw_cfg -> fw_cfg2) and the entry version that contradicts
        // its own description are the script's false alarms; the rest are ours too.
        Assert.Equal(
        [
            "Section \"fw_cfg\" does not exist in dest",
            "Section \"fusbh200-ehci-usb\" version error: 2 > 1",
        ], explained.Where(e => !e.Found).Select(e => e.Message).Take(2));
        Assert.Contains(ours.Findings, f => f is { Section: "usb-kbd", Change: SchemaChange.FieldResized, Reaction: QemuReaction.ReadWrongly, Path: "hid.kbd.keycodes" });
        Assert.Contains(ours.Findings, f => f is { Section: "fdc", Change: SchemaChange.VersionTooNew, QemuMessage: "savevm: unsupported version 2 for 'fdc' v1" });
        Assert.Contains(ours.Findings, f => f is { Section: "PIIX3", Change: SchemaChange.VersionTooOld, QemuMessage: "PIIX3: incoming version_id 1 is too old for local minimum version_id  2" });
        Assert.Contains(ours.Findings, f => f is { Section: "tpci200", Change: SchemaChange.SectionMissingInNew, Reaction: QemuReaction.Refuse });
        // Fields moved into a struct keep their layout: accepted, not reported as removed.
        Assert.Contains(ours.Findings, f => f is { Section: "usb-kbd", Path: "hid.head", Change: SchemaChange.FieldRenamed, Reaction: QemuReaction.Accept });
        Assert.False(ours.Compatible);
    }

    public static TheoryData<string, string> Pairs => new()
    {
        { "5.2", "7.2" }, { "7.2", "5.2" }, { "7.2", "10.0" }, { "10.0", "7.2" },
        { "10.0", "11.1" }, { "11.1", "10.0" }, { "5.2", "11.1" }, { "11.1", "5.2" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void StaticCheckerOnOurVersions_EveryMessageIsFoundOrExplained(string from, string to)
    {
        string old = qemus.Dump(from), @new = qemus.Dump(to), stream = qemus.Stream(from);
        var messages = SchemaDiffStaticChecker.Run(old, @new);
        var ours = Diff(old, @new);
        var explained = SchemaDiffStaticChecker.Explain(messages, old, @new, ours);
        var limited = Diff(old, @new, stream);
        Report($"{from} -> {to}", explained, ours);
        output.WriteLine($"  with --stream (a {SchemaDiffQemus.Machine} guest of {from}): {limited.Refused} refuse, {limited.ReadWrongly} read wrongly, {limited.Accepted} accept");
        Assert.NotEmpty(messages);
        Assert.All(explained, e => Assert.True(e.Why is not null, "unexplained: " + e.Message));
        // What the script reports of this configuration's guest is all false alarms: limited to it, nothing blocks.
        Assert.True(limited.Compatible, string.Join("\n", limited.Findings.Where(f => f.Reaction != QemuReaction.Accept)));
    }

    public static TheoryData<string, string> Migrations => new()
    {
        { "7.2", "11.1" }, { "7.2", "5.2" }, { "11.1", "5.2" }, { "5.2", "11.1" }, { "10.0", "7.2" },
    };

    [Theory]
    [MemberData(nameof(Migrations))]
    public void RealMigration_StreamDiffReportsNothingBlocking(string from, string to)
    {
        string stream = qemus.Stream(from);
        var (completed, log) = SchemaDiffQemus.LoadIncoming(to, stream);
        Assert.True(completed, $"QEMU {to} did not load {from}'s stream: {log}");

        var (code, text, err) = QevmCli.Run("schema", "diff", qemus.Dump(from), qemus.Dump(to), "--stream", stream);
        Assert.True(code == 0, text + err);
        Assert.Contains(": compatible", text, StringComparison.Ordinal);
        // Against NEW's own stream: its sections and RAM blocks too, and the layouts its trailer gives with types.
        (code, text, err) = QevmCli.Run("schema", "diff", stream, qemus.Stream(to), "--stream", stream);
        Assert.True(code == 0, text + err);
        Assert.DoesNotContain("not checked: RAM blocks", text, StringComparison.Ordinal);
        // The stream's own layouts (its trailer) against NEW's -dump-vmstate.
        (code, text, err) = QevmCli.Run("schema", "diff", stream, qemus.Dump(to), "--stream", stream);
        Assert.True(code == 0, text + err);
    }

    [Fact]
    public void DestinationWithoutTheDevice_RefusesWithQemusFirstMessage()
    {
        // A 7.2 guest with an e1000, and a 5.2 destination without it: QEMU 5.2 stops at the NIC's ROM block.
        string stream = Path.Combine(qemus.Directory, "e1000-7.2.mig");
        using (var q = SchemaDiffQemus.Start("7.2", ["-M", SchemaDiffQemus.Machine, "-m", "32", "-S", "-device", "e1000"]))
            q.MigrateToFile(stream, TimeSpan.FromSeconds(120));
        var (completed, log) = SchemaDiffQemus.LoadIncoming("5.2", stream);
        Assert.False(completed);

        var (code, text, err) = QevmCli.Run("schema", "diff", stream, qemus.Stream("5.2"), "--stream", stream, "--json");
        Assert.True(code == 1, text + err);
        var report = JsonSerializer.Deserialize(text, SchemaDiffJsonContext.Default.SchemaDiffReport)!;
        Assert.False(report.Compatible);
        var first = report.Findings.First(f => f.Reaction == QemuReaction.Refuse);
        Assert.Equal(SchemaChange.RamBlockMissingInNew, first.Change);
        Assert.Contains(first.QemuMessage!, log, StringComparison.Ordinal);
        Assert.Contains(report.Findings, f => f is { Change: SchemaChange.SectionMissingInNew, Reaction: QemuReaction.Refuse } && f.Section.EndsWith("/e1000 #0", StringComparison.Ordinal));
    }

    [Fact]
    public void VersionNewDoesNotAccept_IsRefused_Exit1()
    {
        // NEW's RTC loads only up to version 2; the 7.2 stream has mc146818rtc version 3.
        var json = JsonNode.Parse(File.ReadAllText(qemus.Dump("5.2")))!;
        json["mc146818rtc"]!["Description"]!["version_id"] = 2;
        string lowered = Path.Combine(qemus.Directory, "dump-5.2-rtc-v2.json");
        File.WriteAllText(lowered, json.ToJsonString());

        var (code, text, _) = QevmCli.Run("schema", "diff", qemus.Dump("7.2"), lowered, "--stream", qemus.Stream("7.2"));
        Assert.Equal(1, code);
        Assert.Contains("refuse       mc146818rtc #0: OLD writes version 3, NEW loads up to 2; QEMU: savevm: unsupported version 3 for 'mc146818rtc' v2", text, StringComparison.Ordinal);
        Assert.EndsWith(": not compatible", text.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_AreExit2()
    {
        var (code, _, err) = QevmCli.Run("schema", "diff", Path.Combine(qemus.Directory, "absent.json"), qemus.Dump("7.2"));
        Assert.Equal(2, code);
        Assert.StartsWith("qevm: ", err, StringComparison.Ordinal);
        (code, _, err) = QevmCli.Run("schema", "diff", qemus.Dump("7.2"), qemus.Dump("7.2"), "--stream", qemus.Dump("7.2"));
        Assert.Equal(2, code);
        Assert.Contains("not a migration stream", err, StringComparison.Ordinal);
    }
}
