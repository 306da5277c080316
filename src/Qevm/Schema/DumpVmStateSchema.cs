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
    private readonly Dictionary<string, Entry> _byName = [];
    private readonly Dictionary<string, string> _types = [];

    // A description of the dump, read (and so checked) once when the dump is parsed.
    private sealed record Entry(VmStateDescription Description, bool HasVersion);

    private DumpVmStateSchema(string sourceName) => SourceName = sourceName;

    /// <inheritdoc/>
    public string SourceName { get; }

    /// <summary>The machine the dump was made for (<c>vmschkmachine</c>).</summary>
    public string? Machine { get; private set; }

    /// <summary>Every description of the dump (one per description name, in the dump's order).</summary>
    public IEnumerable<VmStateDescription> Descriptions => _byName.Values.Select(e => e.Description);

    /// <summary>The device types the dump lists (its keys), each with its description's name: the section's idstr.</summary>
    public IReadOnlyDictionary<string, string> DeviceTypes => _types;

    /// <summary>The description named <paramref name="name"/> or standing for idstr <paramref name="name"/>; null when the dump has none.</summary>
    public VmStateDescription? Find(string name) => FindEntry(name)?.Description;

    /// <summary>True for the root object QEMU's <c>-dump-vmstate</c> writes.</summary>
    public static bool IsDumpVmState(JsonElement root) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty("vmschkmachine", out _);

    /// <summary>Reads <c>-dump-vmstate</c> output; a value of the wrong type is a fault naming its JSON path.</summary>
    public static DumpVmStateSchema Parse(ReadOnlyMemory<byte> json, string sourceName = "dump-vmstate")
    {
        using var doc = JsonCursor.Parse(json, VmStateError.BadTrailer, "-dump-vmstate output");
        var root = JsonCursor.Root(doc, VmStateError.BadTrailer);
        var s = new DumpVmStateSchema(sourceName);
        foreach (var (key, value) in root.Properties())
        {
            if (key == "vmschkmachine")
            {
                s.Machine = value.TryGet("Name", out var m) ? m.String() : null;
                continue;
            }
            if (value.Kind == JsonValueKind.Object && value.TryGet("Description", out var d))
            {
                d.ExpectKind(JsonValueKind.Object, "a description (an object)");
                if (!d.TryGet("name", out var n)) continue;
                string name = n.String();
                s._types[key] = name;
                if (!s._byName.ContainsKey(name)) s._byName.Add(name, new Entry(Build(d, 0), d.Has("version_id")));
            }
        }
        return s;
    }

    // Sections are matched by description name: the idstr, or its part after a '/' (a device path).
    private Entry? FindEntry(string idstr)
    {
        foreach (var name in VmsdName.Candidates(idstr))
            if (_byName.TryGetValue(name, out var d)) return d;
        return null;
    }

    /// <summary>The version, minimum version and description name the dump has for a section's idstr; null when it has none.</summary>
    public (uint Version, uint? Minimum, string Name)? Versions(string idstr)
    {
        ArgumentNullException.ThrowIfNull(idstr);
        if (FindEntry(idstr) is not { } e) return null;
        var d = e.Description;
        return ((uint)d.VersionId, d.MinimumVersionId is { } min ? (uint)min : null, d.Name);
    }

    /// <inheritdoc/>
    public IEnumerable<VmStateDescription> Describe(SectionHeader section)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (FindEntry(section.Idstr) is not { } e) yield break;
        long version = section.VersionId;
        if (e.Description.MinimumVersionId is { } min && version < min) yield break;
        if (e.HasVersion && version > e.Description.VersionId) yield break;
        yield return e.Description;
    }

    // One description with QEMU's rules as the dump gives them: each field's version_id, field_exists as an
    // unknown test, nested descriptions with their own versions, every possible subsection. Types are inferred
    // from sizes; the interpreter applies the version rule and tries the outcomes of the unknown tests.
    private static VmStateDescription Build(JsonCursor d, int depth)
    {
        if (depth > 32) throw d.Fail("descriptions nested at most 32 deep", "deeper");
        var fields = new List<VmStateField>();
        if (d.TryGet("Fields", out var list))
        {
            foreach (var f in list.Items())
            {
                string name = f.Required("field", "a field name").String();
                int size = f.TryGet("size", out var s) ? s.Int32(0, int.MaxValue) : 0;
                int since = f.TryGet("version_id", out var v) ? v.Int32(0, int.MaxValue) : 0;
                var exists = f.TryGet("field_exists", out var fe) && fe.Boolean() ? FieldExists.Unknown : null;
                if (f.TryGet("Description", out var nested))
                    fields.Add(new VmStateField(name, "struct", size) { Struct = Build(nested, depth + 1), Inferred = true, VersionId = since, Exists = exists });
                else
                {
                    string type = name == "unused" ? "unused_buffer" : size switch { 1 => "uint8", 2 => "uint16", 4 => "uint32", 8 => "uint64", _ => "buffer" };
                    fields.Add(new VmStateField(name, type, size) { Inferred = true, VersionId = since, Exists = exists });
                }
            }
        }
        var subs = new List<VmStateDescription>();
        if (d.TryGet("Subsections", out var sl))
            foreach (var s in sl.Items()) subs.Add(Build(s, depth + 1));
        return new VmStateDescription(d.TryGet("name", out var n) ? n.String() : "", d.TryGet("version_id", out var vv) ? vv.Int32(0, int.MaxValue) : 0, fields, subs)
        {
            Origin = SchemaOrigin.DumpVmState,
            SubsectionsOptional = true,
            MinimumVersionId = d.TryGet("minimum_version_id", out var mv) ? mv.Int32(0, int.MaxValue) : null,
        };
    }
}
