using System.Text.Json;

namespace Qevm;

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
    private readonly List<string> _sources = [];

    private sealed class Entry(string name, uint version)
    {
        public string Name { get; } = name;
        public uint Version { get; } = version;
        public List<string> Idstrs { get; } = [];
        public List<JsonElement> Variants { get; } = [];
        public HashSet<string> Keys { get; } = [];
        public List<VmStateDescription?>? Built { get; set; }
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
        StreamInfo.Read(stream, null, r =>
        {
            if (r.RecordType == RecordType.SectionFull) headers.Add(r.Section!);
        }, out var trailer);
        _sources.Add(sourceName);
        if (trailer is null) return 0;
        int n = 0;
        foreach (var h in headers)
        {
            if (!trailer.TryGetDevice(h.Idstr, h.InstanceId, out var device)) continue;
            string name = device.TryGetProperty("vmsd_name", out var vn) && vn.GetString() is { } s ? s : h.Idstr;
            Add(name, h.VersionId, h.Idstr, Variant(device));
            n++;
        }
        return n;
    }

    private void Add(string name, uint version, string idstr, JsonElement variant)
    {
        var entry = _entries.Find(e => e.Name == name && e.Version == version);
        if (entry is null)
        {
            entry = new Entry(name, version);
            _entries.Add(entry);
        }
        if (!entry.Idstrs.Contains(idstr)) entry.Idstrs.Add(idstr);
        if (entry.Keys.Add(variant.GetRawText()))
        {
            entry.Variants.Add(variant);
            entry.Built = null;
        }
    }

    // The device entry without its identity (name, instance id): what decodes the bytes.
    private static JsonElement Variant(JsonElement device)
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
            string id = section.Idstr;
            for (int slash = id.IndexOf('/', StringComparison.Ordinal); slash >= 0 && matches.Count == 0; slash = id.IndexOf('/', slash + 1))
            {
                string suffix = id[(slash + 1)..];
                matches = _entries.FindAll(e => e.Version == section.VersionId && e.Name == suffix);
            }
        }
        foreach (var e in matches)
        {
            lock (e)
            {
                e.Built ??= e.Variants.ConvertAll(v =>
                {
                    var d = TrailerSchema.FromDevice(v);
                    return d is null ? null : new VmStateDescription(d.Name, d.VersionId, d.Fields, d.Subsections) { IsOldStyle = d.IsOldStyle, Origin = "catalogue" };
                });
            }
            foreach (var d in e.Built)
                if (d is not null) yield return d;
        }
    }

    /// <summary>Writes the catalogue as JSON.</summary>
    public void Write(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", 1);
        w.WriteStartArray("sources");
        foreach (var s in _sources) w.WriteStringValue(s);
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
            foreach (var v in e.Variants) v.WriteTo(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Reads a catalogue written by <see cref="Write"/>.</summary>
    public static SchemaCatalogue Parse(ReadOnlyMemory<byte> json, string sourceName = "catalogue")
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
            var root = doc.RootElement;
            if (!IsCatalogue(root))
                throw new VmStateFormatException(VmStateError.BadTrailer, 0, "a catalogue (\"format\": \"" + FormatName + "\")", "other JSON");
            var c = new SchemaCatalogue { SourceName = sourceName };
            if (root.TryGetProperty("sources", out var sources))
                foreach (var s in sources.EnumerateArray()) c._sources.Add(s.GetString() ?? "");
            foreach (var d in root.GetProperty("descriptions").EnumerateArray())
            {
                string name = d.GetProperty("name").GetString() ?? "";
                uint version = d.GetProperty("version").GetUInt32();
                var idstrs = new List<string>();
                foreach (var i in d.GetProperty("idstrs").EnumerateArray()) idstrs.Add(i.GetString() ?? "");
                foreach (var v in d.GetProperty("variants").EnumerateArray())
                    foreach (var id in idstrs) c.Add(name, version, id, v.Clone());
            }
            return c;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new VmStateFormatException(VmStateError.BadTrailer, 0, "a valid catalogue", e.Message);
        }
    }

    internal static bool IsCatalogue(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == FormatName;
}
