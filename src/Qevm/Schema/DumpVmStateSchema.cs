using System.Text.Json;

namespace Qevm.Schema;

/// <summary>
/// QEMU's <c>-dump-vmstate</c> output as a schema source. It gives names, versions, C sizes, nested
/// descriptions and every possible subsection, but no types, no element counts and no <c>field_exists</c>
/// outcomes. Qevm builds the candidate layouts (fields present by version, each combination of the
/// <c>field_exists</c> fields), types inferred from sizes, and keeps a layout only when it uses the section's
/// footer-delimited bytes exactly; fields decoded this way are marked inferred.
/// </summary>
public sealed class DumpVmStateSchema : ISchemaSource
{
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
        yield return Build(d, 0);
    }

    // One description with QEMU's rules as the dump gives them: each field's version_id, field_exists as an
    // unknown test, nested descriptions with their own versions, every possible subsection. Types are inferred
    // from sizes; the interpreter applies the version rule and tries the outcomes of the unknown tests.
    private static VmStateDescription Build(JsonElement d, int depth)
    {
        if (depth > 32) throw new InvalidOperationException("descriptions nested too deep");
        var fields = new List<VmStateField>();
        if (d.TryGetProperty("Fields", out var list))
        {
            foreach (var f in list.EnumerateArray())
            {
                string name = f.GetProperty("field").GetString() ?? "";
                int size = f.TryGetProperty("size", out var s) ? s.GetInt32() : 0;
                int since = f.TryGetProperty("version_id", out var v) ? v.GetInt32() : 0;
                var exists = f.TryGetProperty("field_exists", out var fe) && fe.ValueKind == JsonValueKind.True ? FieldExists.Unknown : null;
                if (f.TryGetProperty("Description", out var nested))
                    fields.Add(new VmStateField(name, "struct", size) { Struct = Build(nested, depth + 1), Inferred = true, VersionId = since, Exists = exists });
                else
                {
                    string type = name == "unused" ? "unused_buffer" : size switch { 1 => "uint8", 2 => "uint16", 4 => "uint32", 8 => "uint64", _ => "buffer" };
                    fields.Add(new VmStateField(name, type, size) { Inferred = true, VersionId = since, Exists = exists });
                }
            }
        }
        var subs = new List<VmStateDescription>();
        if (d.TryGetProperty("Subsections", out var sl))
            foreach (var s in sl.EnumerateArray()) subs.Add(Build(s, depth + 1));
        return new VmStateDescription(d.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "", d.TryGetProperty("version_id", out var vv) ? vv.GetInt32() : 0, fields, subs)
        {
            Origin = SchemaOrigin.DumpVmState,
            SubsectionsOptional = true,
            MinimumVersionId = d.TryGetProperty("minimum_version_id", out var mv) ? mv.GetInt32() : null,
        };
    }
}
