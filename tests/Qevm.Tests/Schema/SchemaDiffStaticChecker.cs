using System.Text.Json;
using System.Text.RegularExpressions;
using Qevm.Compatibility;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Schema;

/// <summary>
/// QEMU's scripts/vmstate-static-checker.py (fetched by scripts/fetch-static-checker.sh, path in
/// <c>QEVM_STATIC_CHECKER</c>, its test data in <c>QEVM_STATIC_CHECKER_DATA</c>), and the table that explains
/// each of its messages by a finding of <c>schema diff</c> or as a false alarm, with the reason.
/// </summary>
internal static partial class SchemaDiffStaticChecker
{
    /// <summary>The script's path.</summary>
    public static string Script => Required("QEVM_STATIC_CHECKER", "vmstate-static-checker.py");

    /// <summary>The folder of its test data (dump1.json, dump2.json).</summary>
    public static string Data => Required("QEVM_STATIC_CHECKER_DATA", "vmstate-static-checker-data");

    private static string Required(string variable, string what)
    {
        string? path = Environment.GetEnvironmentVariable(variable);
        Assert.True(!string.IsNullOrEmpty(path) && Path.Exists(path),
            $"{what} is needed: run `bash scripts/fetch-static-checker.sh` and set {variable} (scripts/test.sh does both)");
        return path!;
    }

    /// <summary>The script's messages for <paramref name="old"/> → <paramref name="new"/> (its machine-type warning left out).</summary>
    public static List<string> Run(string old, string @new)
    {
        var (code, output, err) = ProgramRunner.Run("python3", Script, "-s", old, "-d", @new);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("Warning:", StringComparison.Ordinal)).ToList();
        // Its exit code counts the messages (capped at 255).
        Assert.True(code == Math.Min(lines.Count, 255), $"vmstate-static-checker.py exited {code} for {lines.Count} messages: {err}");
        return lines;
    }

    /// <summary>How a message of the script is explained.</summary>
    /// <param name="Message">The script's line.</param>
    /// <param name="Found">True when <c>schema diff</c> reports it (refuse or read wrongly); false for a false alarm.</param>
    /// <param name="Why">Our finding's kind, or the reason it is a false alarm; null when unexplained.</param>
    public sealed record Explanation(string Message, bool Found, string? Why);

    // The table: each message pattern of the script, and how schema diff's findings for the same section explain it.
    private static readonly (Regex Pattern, string Kind)[] Table =
    [
        (SectionMissing(), "section"),
        (SectionEntryMissing(), "section"),
        (SectionVersion(), "version"),
        (DescriptionVersion(), "version"),
        (DescriptionMinimumVersion(), "version"),
        (SubsectionMissing(), "subsection"),
        (FieldExpected(), "fields"),
        (FieldNoMore(), "fields"),
        (DescriptionEntryMissing(), "fields"),
        (DescriptionRenamed(), "fields"),
        (FieldNotStruct(), "fields"),
        (FieldSize(), "fields"),
    ];

    /// <summary>Explains every message of the script for a diff of two <c>-dump-vmstate</c> files.</summary>
    public static List<Explanation> Explain(IEnumerable<string> messages, string oldDump, string newDump, SchemaDiffResult diff)
    {
        var oldTypes = DescriptionNames(oldDump);
        var newDescriptions = DescriptionNames(newDump).Values.ToHashSet(StringComparer.Ordinal);
        var oldEntries = EntryVersions(oldDump);
        var result = new List<Explanation>();
        foreach (var line in messages)
        {
            var (pattern, kind) = Table.FirstOrDefault(t => t.Pattern.IsMatch(line));
            if (pattern is null)
            {
                result.Add(new Explanation(line, false, null));
                continue;
            }
            var m = pattern.Match(line);
            string type = m.Groups["sec"].Value;
            string? section = oldTypes.GetValueOrDefault(type);
            var ours = diff.Findings.Where(f => f.Section == section).ToList();
            var blocking = ours.Where(f => f.Reaction != QemuReaction.Accept).ToList();
            var sectionRefused = ours.FirstOrDefault(f => f.Path is null && f.Reaction == QemuReaction.Refuse);
            result.Add(kind switch
            {
                "section" when section is null => new Explanation(line, false, "the device type has no description in OLD: it has no section to migrate"),
                "section" when sectionRefused is { Change: SchemaChange.SectionMissingInNew } =>
                    new Explanation(line, true, "section-missing-in-new (refuse)"),
                "section" when newDescriptions.Contains(section) =>
                    new Explanation(line, false, $"NEW has the description '{section}' under another device type: the section's idstr is the description name, not the type"),
                "version" when sectionRefused is { Change: SchemaChange.VersionTooNew or SchemaChange.VersionTooOld } f && (m.Groups["desc"].Value is "" || m.Groups["desc"].Value == section) =>
                    new Explanation(line, true, Name(f.Change) + " (refuse)"),
                "version" when ours.FirstOrDefault(f => f.Change is SchemaChange.VersionTooNew or SchemaChange.VersionTooOld && f.Path is not null
                    && f.Path.EndsWith(m.Groups["desc"].Value, StringComparison.Ordinal)) is { } f =>
                    new Explanation(line, true, Name(f.Change) + " of a subsection (refuse)"),
                "version" when m.Groups["desc"].Value is "" && oldEntries.TryGetValue(type, out var v) && v.Entry != v.Description =>
                    new Explanation(line, false, $"the entry's version_id ({v.Entry}) is not its description's ({v.Description}): QEMU loads with the description's"),
                "version" when sectionRefused is not null =>
                    new Explanation(line, false, "QEMU refuses the section before (" + Name(sectionRefused.Change) + ")"),
                "version" => new Explanation(line, false, "the version of a nested struct is not on the wire: each QEMU loads it with its own, its fields are compared instead"
                    + (blocking.Count == 0 ? " (no difference blocks)" : " (" + string.Join(", ", blocking.Select(f => Name(f.Change)).Distinct()) + ")")),
                "subsection" when ours.Any(f => f.Change == SchemaChange.SubsectionMissingInNew && f.Path == "subsection " + m.Groups["sub"].Value) =>
                    new Explanation(line, true, "subsection-missing-in-new (refuse)"),
                "subsection" or "fields" when sectionRefused is not null =>
                    new Explanation(line, false, "QEMU refuses the section before (" + Name(sectionRefused.Change) + ")"),
                "fields" when blocking.Count > 0 =>
                    new Explanation(line, true, string.Join(", ", blocking.Select(f => Name(f.Change) + " (" + Reaction(f.Reaction) + ")").Distinct())),
                "fields" when ours.Count > 0 =>
                    new Explanation(line, false, string.Join(", ", ours.Select(Reason).Distinct())),
                _ => new Explanation(line, false, null),
            });
        }
        return result;
    }

    private static string Reason(SchemaDiffFinding f) => f.Change switch
    {
        SchemaChange.FieldRenamed when f.Detail.Contains("unused placeholder", StringComparison.Ordinal) => "replaced by an unused placeholder of the same length",
        SchemaChange.FieldRenamed when f.Detail.Contains("moved into or out of a struct", StringComparison.Ordinal) => "moved into or out of a struct (same layout)",
        SchemaChange.FieldRenamed => "same-layout rename",
        SchemaChange.FieldAdded or SchemaChange.FieldRemoved when f.Detail.Contains("field_exists", StringComparison.Ordinal) => "guarded by a field_exists test",
        SchemaChange.FieldAdded => "guarded by a version",
        SchemaChange.SubsectionMissingInOld => "a subsection only NEW has (never sent)",
        SchemaChange.FieldsRelaid => "an unused placeholder of the same length",
        SchemaChange.FieldRetyped => "same encoding",
        _ => Name(f.Change) + " (accept)",
    };

    private static string Name(SchemaChange c) => JsonSerializer.Serialize(c).Trim('"');

    private static string Reaction(QemuReaction r) => JsonSerializer.Serialize(r).Trim('"');

    // Dump key (device type) → its description's name.
    private static Dictionary<string, string> DescriptionNames(string dump)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(dump));
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("Description", out var d) && d.TryGetProperty("name", out var n))
                map[p.Name] = n.GetString()!;
        return map;
    }

    private static Dictionary<string, (int Entry, int Description)> EntryVersions(string dump)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(dump));
        var map = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("version_id", out var v) && p.Value.TryGetProperty("Description", out var d)
                && d.TryGetProperty("version_id", out var dv))
                map[p.Name] = (v.GetInt32(), dv.GetInt32());
        return map;
    }

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\" does not exist in dest$")]
    private static partial Regex SectionMissing();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\": Entry \"(?<entry>[^\"]+)\" missing$")]
    private static partial Regex SectionEntryMissing();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\" version error: (?<a>\\d+) > (?<b>\\d+)$")]
    private static partial Regex SectionVersion();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\" Description \"(?<desc>[^\"]+)\": version error: (?<a>\\d+) > (?<b>\\d+)$")]
    private static partial Regex DescriptionVersion();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\" (Section \"[^\"]+\" )?Description \"(?<desc>[^\"]+)\": minimum version error: (?<a>\\d+) < (?<b>\\d+)$")]
    private static partial Regex DescriptionMinimumVersion();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\", Description \"(?<desc>[^\"]+)\": Subsection \"(?<sub>[^\"]+)\" not found$")]
    private static partial Regex SubsectionMissing();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\", Description \"(?<desc>[^\"]+)\": expected field \"(?<a>[^\"]+)\", got \"(?<b>[^\"]+)\"; skipping rest$")]
    private static partial Regex FieldExpected();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\", Description \"(?<desc>[^\"]+)\": expected field \"(?<a>[^\"]+)\", while dest has no further fields$")]
    private static partial Regex FieldNoMore();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\" Description \"(?<desc>[^\"]+)\": Entry \"(?<entry>[^\"]+)\" missing$")]
    private static partial Regex DescriptionEntryMissing();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\", Description \"(?<desc>[^\"]+)\", Field \"(?<f>[^\"]+)\": missing description$")]
    private static partial Regex FieldNotStruct();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\" Description \"(?<desc>[^\"]+)\" Field \"(?<f>[^\"]+)\" size mismatch: (?<a>\\d+) , (?<b>\\d+)$")]
    private static partial Regex FieldSize();

    [GeneratedRegex("^Section \"(?<sec>[^\"]+)\": Description \"(?<desc>[^\"]+)\" missing, got \"(?<b>[^\"]+)\" instead; skipping$")]
    private static partial Regex DescriptionRenamed();
}
