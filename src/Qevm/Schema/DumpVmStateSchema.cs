using System.Text.Json;

namespace Qevm;

/// <summary>
/// QEMU's <c>-dump-vmstate</c> output as a schema source. It gives names, versions, C sizes, nested
/// descriptions and every possible subsection, but no types, no element counts and no <c>field_exists</c>
/// outcomes. Qevm builds the candidate layouts (fields present by version, each combination of the
/// <c>field_exists</c> fields), types inferred from sizes, and keeps a layout only when it uses the section's
/// footer-delimited bytes exactly; fields decoded this way are marked inferred.
/// </summary>
public sealed class DumpVmStateSchema : ISchemaSource
{
    private const int MaxOptionalFields = 8;
    private readonly Dictionary<string, JsonElement> _byName = [];

    private DumpVmStateSchema(string sourceName) => SourceName = sourceName;

    /// <inheritdoc/>
    public string SourceName { get; }

    /// <summary>The machine the dump was made for (<c>vmschkmachine</c>).</summary>
    public string? Machine { get; private set; }

    /// <summary>True for the root object QEMU's <c>-dump-vmstate</c> writes.</summary>
    public static bool IsDumpVmState(JsonElement root) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty("vmschkmachine", out _);

    /// <summary>Reads <c>-dump-vmstate</c> output.</summary>
    public static DumpVmStateSchema Parse(ReadOnlyMemory<byte> json, string sourceName = "dump-vmstate")
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
            var s = new DumpVmStateSchema(sourceName);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.NameEquals("vmschkmachine"))
                {
                    s.Machine = p.Value.TryGetProperty("Name", out var m) ? m.GetString() : null;
                    continue;
                }
                if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("Description", out var d)
                    && d.TryGetProperty("name", out var n) && n.GetString() is { } name)
                    s._byName.TryAdd(name, d.Clone());
            }
            return s;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new VmStateFormatException(VmStateError.BadTrailer, 0, "valid -dump-vmstate JSON", e.Message);
        }
    }

    // Sections are matched by description name: the idstr, or its part after a '/' (a device path).
    private JsonElement? Find(string idstr)
    {
        foreach (var name in VmsdName.Candidates(idstr))
            if (_byName.TryGetValue(name, out var d)) return d;
        return null;
    }

    /// <summary>The version, minimum version and description name the dump has for a section's idstr; null when it has none.</summary>
    public (uint Version, uint? Minimum, string Name)? Versions(string idstr)
    {
        ArgumentNullException.ThrowIfNull(idstr);
        if (Find(idstr) is not { } d) return null;
        uint version = d.TryGetProperty("version_id", out var v) ? v.GetUInt32() : 0;
        uint? min = d.TryGetProperty("minimum_version_id", out var m) ? m.GetUInt32() : null;
        return (version, min, d.TryGetProperty("name", out var n) ? n.GetString() ?? idstr : idstr);
    }

    /// <inheritdoc/>
    public IEnumerable<VmStateDescription> Describe(SectionHeader section)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (Find(section.Idstr) is not { } d) yield break;
        int version = (int)section.VersionId;
        if (d.TryGetProperty("minimum_version_id", out var min) && version < min.GetInt32()) yield break;
        if (d.TryGetProperty("version_id", out var max) && version > max.GetInt32()) yield break;
        var optional = new List<JsonElement>();
        CollectOptional(d, version, optional, 0);
        if (optional.Count > MaxOptionalFields) yield break;
        for (int mask = 0; mask < 1 << optional.Count; mask++)
        {
            int bit = 0;
            yield return Build(d, version, optional, mask, ref bit, 0);
        }
    }

    private static void CollectOptional(JsonElement d, int version, List<JsonElement> optional, int depth)
    {
        if (depth > 32 || !d.TryGetProperty("Fields", out var fields)) return;
        foreach (var f in fields.EnumerateArray())
        {
            if (f.TryGetProperty("version_id", out var v) && v.GetInt32() > version) continue;
            if (f.TryGetProperty("field_exists", out var fe) && fe.ValueKind == JsonValueKind.True) optional.Add(f);
            if (f.TryGetProperty("Description", out var nested))
                CollectOptional(nested, nested.TryGetProperty("version_id", out var nv) ? nv.GetInt32() : 0, optional, depth + 1);
        }
    }

    private static VmStateDescription Build(JsonElement d, int version, List<JsonElement> optional, int mask, ref int bit, int depth)
    {
        var fields = new List<VmStateField>();
        var counts = new Dictionary<string, int>();
        if (d.TryGetProperty("Fields", out var list))
        {
            foreach (var f in list.EnumerateArray())
            {
                if (f.TryGetProperty("version_id", out var v) && v.GetInt32() > version) continue;
                if (f.TryGetProperty("field_exists", out var fe) && fe.ValueKind == JsonValueKind.True && (mask & (1 << bit++)) == 0)
                {
                    SkipNested(f, ref bit);
                    continue;
                }
                string name = f.GetProperty("field").GetString() ?? "";
                int size = f.TryGetProperty("size", out var s) ? s.GetInt32() : 0;
                // Same-named fields are numbered as QEMU's trailer numbers them (name[k]).
                counts.TryGetValue(name, out int k);
                counts[name] = k + 1;
                string shown = Duplicates(list, name) ? $"{name}[{k}]" : name;
                if (f.TryGetProperty("Description", out var nested))
                {
                    int nestedVersion = nested.TryGetProperty("version_id", out var nv) ? nv.GetInt32() : 0;
                    fields.Add(new VmStateField(shown, "struct", size) { Struct = Build(nested, nestedVersion, optional, mask, ref bit, depth + 1), Inferred = true });
                }
                else
                {
                    string type = name == "unused" ? "unused_buffer" : size switch { 1 => "uint8", 2 => "uint16", 4 => "uint32", 8 => "uint64", _ => "buffer" };
                    fields.Add(new VmStateField(shown, type, size) { Inferred = true });
                }
            }
        }
        var subs = new List<VmStateDescription>();
        if (d.TryGetProperty("Subsections", out var sl))
        {
            foreach (var s in sl.EnumerateArray())
            {
                int sv = s.TryGetProperty("version_id", out var svv) ? svv.GetInt32() : 0;
                int ignored = 0;
                var sub = Build(s, sv, [], 0, ref ignored, depth + 1);
                subs.Add(new VmStateDescription(s.GetProperty("name").GetString() ?? "", sv, sub.Fields, sub.Subsections) { Origin = "dump-vmstate", SubsectionsOptional = true });
            }
        }
        string vmsdName = d.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
        return new VmStateDescription(vmsdName, version, fields, subs)
        {
            Origin = "dump-vmstate",
            SubsectionsOptional = true,
            MinimumVersionId = d.TryGetProperty("minimum_version_id", out var mv) ? mv.GetInt32() : null,
        };
    }

    private static void SkipNested(JsonElement f, ref int bit)
    {
        if (!f.TryGetProperty("Description", out var nested) || !nested.TryGetProperty("Fields", out var fields)) return;
        foreach (var g in fields.EnumerateArray())
        {
            if (g.TryGetProperty("field_exists", out var fe) && fe.ValueKind == JsonValueKind.True) bit++;
            SkipNested(g, ref bit);
        }
    }

    private static bool Duplicates(JsonElement list, string name)
    {
        int n = 0;
        foreach (var f in list.EnumerateArray())
            if (f.TryGetProperty("field", out var x) && x.GetString() == name) n++;
        return n > 1;
    }
}
