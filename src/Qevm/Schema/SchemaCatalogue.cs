using System.Text.Json;

namespace Qevm.Schema;

/// <summary>
/// Descriptions harvested from the trailers of one or more streams, keyed by description name and version,
/// with every variant seen (subsections present or not, other array lengths), and the idstrs that used them.
/// One catalogue decodes the device-state files of every configuration it was harvested from.
/// </summary>
public sealed class SchemaCatalogue : ISchemaSource
{
    /// <summary>The <c>format</c> value of a catalogue file.</summary>
    public const string FormatName = "qevm-catalogue";

    private readonly List<Entry> _entries = [];
    private readonly List<Source> _sources = [];
    private int _preferred = -1;

    // A harvested stream: its name, machine and FULL sections (idstr, instance, section id, version), which
    // identify a QEMU configuration better than any single section does.
    private sealed record Source(string Name, string Machine, HashSet<(string, uint, uint, uint)> Sections);

    private sealed class Entry(string name, uint version)
    {
        public string Name { get; } = name;
        public uint Version { get; } = version;
        public List<string> Idstrs { get; } = [];
        public List<Variant> Variants { get; } = [];
    }

    // One layout of a description, with the sections it was seen in: (idstr, instance, section id, machine).
    // The same name and version can have another layout in another QEMU (globalstate v1 in 7.2 and 10.0), so
    // variants seen with the section's own identity are tried first.
    private sealed class Variant(JsonElement json)
    {
        public JsonElement Json { get; } = json;
        public string Key { get; } = json.GetRawText();
        public List<(string Idstr, uint Instance, uint SectionId, int Source)> Seen { get; } = [];
        public VmStateDescription? Built { get; set; }
        public bool IsBuilt { get; set; }
    }

    /// <inheritdoc/>
    public string SourceName { get; private set; } = "catalogue";

    /// <summary>Number of (name, version) descriptions.</summary>
    public int Count => _entries.Count;

    /// <summary>Number of variants over all descriptions.</summary>
    public int VariantCount
    {
        get
        {
            int n = 0;
            foreach (var e in _entries) n += e.Variants.Count;
            return n;
        }
    }

    /// <summary>Adds the descriptions of a stream's FULL sections (from its trailer); returns how many sections were described.</summary>
    public int Harvest(System.IO.Stream stream, string sourceName)
    {
        var headers = new List<SectionHeader>();
        var info = StreamInfo.Read(stream, null, r =>
        {
            if (r.RecordType == RecordType.SectionFull) headers.Add(r.Section!);
        }, null, out var trailer);
        string machine = info.Configuration?.Machine ?? "";
        if (trailer is null) return 0;
        var table = new HashSet<(string, uint, uint, uint)>();
        foreach (var h in headers) table.Add((h.Idstr, h.InstanceId, h.SectionId, h.VersionId));
        int source = _sources.Count;
        _sources.Add(new Source(sourceName, machine, table));
        int n = 0;
        foreach (var h in headers)
        {
            if (!trailer.TryGetDevice(h.Idstr, h.InstanceId, out var device)) continue;
            string name = device.TryGetProperty("vmsd_name", out var vn) && vn.ValueKind == JsonValueKind.String && vn.GetString() is { } s ? s : h.Idstr;
            Add(name, h.VersionId, VariantOf(device), (h.Idstr, h.InstanceId, h.SectionId, source));
            n++;
        }
        return n;
    }

    private void Add(string name, uint version, JsonElement json, (string Idstr, uint Instance, uint SectionId, int Source) seen)
    {
        var entry = _entries.Find(e => e.Name == name && e.Version == version);
        if (entry is null)
        {
            entry = new Entry(name, version);
            _entries.Add(entry);
        }
        if (!entry.Idstrs.Contains(seen.Idstr)) entry.Idstrs.Add(seen.Idstr);
        var key = json.GetRawText();
        var variant = entry.Variants.Find(v => v.Key == key);
        if (variant is null)
        {
            variant = new Variant(json);
            entry.Variants.Add(variant);
        }
        if (!variant.Seen.Contains(seen)) variant.Seen.Add(seen);
    }

    // The device entry without its identity (name, instance id): what decodes the bytes.
    private static JsonElement VariantOf(JsonElement device)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var p in device.EnumerateObject())
            {
                if (p.NameEquals("name") || p.NameEquals("instance_id")) continue;
                p.WriteTo(w);
            }
            w.WriteEndObject();
        }
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    /// <inheritdoc/>
    public IEnumerable<VmStateDescription> Describe(SectionHeader section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var matches = _entries.FindAll(e => e.Version == section.VersionId && e.Idstrs.Contains(section.Idstr));
        if (matches.Count == 0)
        {
            // Another configuration's idstr (other PCI path): match the description name, the idstr's last parts.
            foreach (var suffix in VmsdName.Suffixes(section.Idstr))
            {
                matches = _entries.FindAll(e => e.Version == section.VersionId && e.Name == suffix);
                if (matches.Count > 0) break;
            }
        }
        var ranked = new List<(int Rank, int Order, Variant Variant)>();
        foreach (var e in matches)
            foreach (var v in e.Variants)
                ranked.Add((Rank(v, section), ranked.Count, v));
        ranked.Sort((a, b) => a.Rank != b.Rank ? b.Rank.CompareTo(a.Rank) : a.Order.CompareTo(b.Order));
        foreach (var (_, _, v) in ranked)
        {
            lock (v)
            {
                if (!v.IsBuilt)
                {
                    var d = TrailerSchema.FromDevice(v.Json);
                    v.Built = d is null ? null : new VmStateDescription(d.Name, d.VersionId, d.Fields, d.Subsections) { IsOldStyle = d.IsOldStyle, Origin = SchemaOrigin.Catalogue };
                    v.IsBuilt = true;
                }
            }
            if (v.Built is not null) yield return v.Built;
        }
    }

    private int Rank(Variant v, SectionHeader h)
    {
        int best = 0;
        foreach (var (idstr, instance, sectionId, source) in v.Seen)
        {
            int r = idstr != h.Idstr ? 0 : sectionId == h.SectionId ? (instance == h.InstanceId ? 3 : 2) : 1;
            if (source == _preferred) r += 4;
            best = Math.Max(best, r);
        }
        return best;
    }

    /// <summary>The machine of the harvested streams, when they all name the same one.</summary>
    public string? Machine
    {
        get
        {
            string? m = null;
            foreach (var s in _sources)
            {
                if (s.Machine.Length == 0) continue;
                if (m is not null && m != s.Machine) return null;
                m = s.Machine;
            }
            return m;
        }
    }

    /// <summary>The highest version a harvested stream had for this section (idstr and instance); null when none had it.</summary>
    public uint? Version(SectionHeader section)
    {
        ArgumentNullException.ThrowIfNull(section);
        uint? best = null;
        foreach (var src in _sources)
            foreach (var (idstr, instance, _, version) in src.Sections)
                if (idstr == section.Idstr && instance == section.InstanceId && (best is null || version > best)) best = version;
        return best;
    }

    /// <summary>The sections (idstr, instance id) of the harvested streams with their versions.</summary>
    internal IEnumerable<(string Idstr, uint Instance, uint Version)> SectionVersions()
    {
        foreach (var src in _sources)
            foreach (var (idstr, instance, _, version) in src.Sections)
                yield return (idstr, instance, version);
    }

    /// <inheritdoc/>
    public ISchemaSource ForStream(IReadOnlyList<SectionHeader> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        int best = -1, bestScore = 0;
        for (int i = 0; i < _sources.Count; i++)
        {
            int score = 0;
            foreach (var h in sections)
                if (_sources[i].Sections.Contains((h.Idstr, h.InstanceId, h.SectionId, h.VersionId))) score++;
            if (score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }
        return new SchemaCatalogue(this, best);
    }

    private SchemaCatalogue(SchemaCatalogue other, int preferred)
    {
        _entries = other._entries;
        _sources = other._sources;
        _preferred = preferred;
        SourceName = other.SourceName;
    }

    /// <summary>Creates an empty catalogue.</summary>
    public SchemaCatalogue()
    {
    }

    /// <summary>Writes the catalogue as JSON.</summary>
    public void Write(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", 1);
        w.WriteStartArray("sources");
        foreach (var src in _sources)
        {
            w.WriteStartObject();
            w.WriteString("name", src.Name);
            w.WriteString("machine", src.Machine);
            w.WriteStartArray("sections");
            foreach (var (idstr, instance, sectionId, version) in src.Sections)
            {
                w.WriteStartArray();
                w.WriteStringValue(idstr);
                w.WriteNumberValue(instance);
                w.WriteNumberValue(sectionId);
                w.WriteNumberValue(version);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("descriptions");
        foreach (var e in _entries)
        {
            w.WriteStartObject();
            w.WriteString("name", e.Name);
            w.WriteNumber("version", e.Version);
            w.WriteStartArray("idstrs");
            foreach (var i in e.Idstrs) w.WriteStringValue(i);
            w.WriteEndArray();
            w.WriteStartArray("variants");
            foreach (var v in e.Variants)
            {
                w.WriteStartObject();
                w.WriteStartArray("seen");
                foreach (var (idstr, instance, sectionId, source) in v.Seen)
                {
                    w.WriteStartObject();
                    w.WriteString("idstr", idstr);
                    w.WriteNumber("instance_id", instance);
                    w.WriteNumber("section_id", sectionId);
                    w.WriteNumber("source", source);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WritePropertyName("description");
                v.Json.WriteTo(w);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Reads a catalogue written by <see cref="Write"/>; a fault names its JSON path.</summary>
    public static SchemaCatalogue Parse(ReadOnlyMemory<byte> json, string sourceName = "catalogue")
    {
        using var doc = JsonCursor.Parse(json, VmStateError.BadTrailer, "a catalogue");
        var root = JsonCursor.Root(doc, VmStateError.BadTrailer);
        if (!IsCatalogue(root.Element))
            throw root.Has("format") ? root.Required("format").Fail("\"" + FormatName + "\"") : root.Fail("a catalogue (\"format\": \"" + FormatName + "\")");
        var c = new SchemaCatalogue { SourceName = sourceName };
        foreach (var src in root.Required("sources").Items())
        {
            var table = new HashSet<(string, uint, uint, uint)>();
            foreach (var t in src.Required("sections").Items())
            {
                if (t.Count != 4) throw t.Fail("[idstr, instance id, section id, version]", "an array of " + t.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                table.Add((t[0].String(), t[1].UInt32(), t[2].UInt32(), t[3].UInt32()));
            }
            c._sources.Add(new Source(src.Required("name").String(), src.Required("machine").String(), table));
        }
        foreach (var d in root.Required("descriptions").Items())
        {
            string name = d.Required("name").String();
            uint version = d.Required("version").UInt32();
            foreach (var v in d.Required("variants").Items())
            {
                var description = v.Required("description");
                description.ExpectKind(JsonValueKind.Object, "a trailer's device entry (an object)");
                var layout = description.Element.Clone();
                foreach (var seen in v.Required("seen").Items())
                {
                    var sourceAt = seen.Required("source");
                    int source = sourceAt.Int32();
                    if (source < 0 || source >= c._sources.Count) throw sourceAt.Fail("the index of one of the \"sources\"");
                    c.Add(name, version, layout, (seen.Required("idstr").String(), seen.Required("instance_id").UInt32(),
                        seen.Required("section_id").UInt32(), source));
                }
            }
        }
        return c;
    }

    internal static bool IsCatalogue(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == FormatName;
}
