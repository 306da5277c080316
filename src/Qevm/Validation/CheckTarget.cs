namespace Qevm.Validation;

/// <summary>
/// What <c>check --target</c> knows of the QEMU that is to load a stream, from what it was given: a stream of that
/// QEMU (its machine type, its sections with instance ids and versions), a catalogue harvested from its streams
/// (the same), trailer JSON (its FULL sections and their versions, no machine type), or its <c>-dump-vmstate</c>
/// output (machine type, versions and minimum versions by description name, but no list of sections: it has no
/// instance ids and lacks sections every QEMU has).
/// </summary>
public sealed class CheckTarget
{
    private readonly Dictionary<(string Idstr, uint Instance), uint?>? _sections;

    private CheckTarget(string name, string kind, string? machine, Dictionary<(string, uint), uint?>? sections, DumpVmStateSchema? dump)
    {
        Name = name;
        Kind = kind;
        Machine = machine;
        _sections = sections;
        Dump = dump;
    }

    /// <summary>The file or source it came from.</summary>
    public string Name { get; }

    /// <summary>What it is: <c>migration stream</c>, <c>catalogue</c>, <c>trailer JSON</c>, <c>-dump-vmstate output</c>.</summary>
    public string Kind { get; }

    /// <summary>The target's machine type, when the target names one.</summary>
    public string? Machine { get; }

    /// <summary>True when the target lists its sections (idstr and instance id).</summary>
    public bool ListsSections => _sections is not null;

    /// <summary>The <c>-dump-vmstate</c> output, when that is the target: versions and minimum versions by description name.</summary>
    public DumpVmStateSchema? Dump { get; }

    /// <summary>
    /// Whether the target has the section <paramref name="idstr"/> #<paramref name="instance"/>, and its version there
    /// (null when the target does not say); false when the target has no such section or does not list its sections.
    /// </summary>
    public bool TryGetSection(string idstr, uint instance, out uint? version)
    {
        version = null;
        return _sections is not null && _sections.TryGetValue((idstr, instance), out version);
    }

    /// <summary>The target a schema source gives (a <c>-dump-vmstate</c> file, a catalogue or a trailer).</summary>
    public static CheckTarget From(ISchemaSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        switch (source)
        {
            case DumpVmStateSchema d:
                return new CheckTarget(d.SourceName, "-dump-vmstate output", d.Machine, null, d);
            case SchemaCatalogue c:
                var fromCatalogue = new Dictionary<(string, uint), uint?>();
                foreach (var (idstr, instance, version) in c.SectionVersions())
                    if (!fromCatalogue.TryGetValue((idstr, instance), out var had) || had < version) fromCatalogue[(idstr, instance)] = version;
                return new CheckTarget(c.SourceName, "catalogue", c.Machine, fromCatalogue, null);
            case Trailer t:
                var fromTrailer = new Dictionary<(string, uint), uint?>();
                foreach (var (idstr, instance) in t.Devices)
                    fromTrailer.TryAdd((idstr, instance), t.TryGetDevice(idstr, instance, out var entry) && entry.TryGetProperty("vmsd_name", out _)
                        && entry.TryGetProperty("version", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.Number && v.TryGetUInt32(out var version) ? version : null);
                return new CheckTarget(t.SourceName, "trailer JSON", null, fromTrailer, null);
            default:
                return new CheckTarget(source.SourceName, "schema", null, null, null);
        }
    }

    /// <summary>The target a stream of that QEMU gives: its machine type and its sections with their versions.</summary>
    public static CheckTarget FromStream(System.IO.Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var info = StreamInfo.Read(stream);
        var sections = new Dictionary<(string, uint), uint?>();
        foreach (var s in info.Sections)
            if (s.Type is RecordType.SectionFull or RecordType.SectionStart) sections.TryAdd((s.Header.Idstr, s.Header.InstanceId), s.Header.VersionId);
        return new CheckTarget(name, "migration stream", info.Configuration?.Machine, sections, null);
    }

    /// <summary>Loads a target from a file: a migration stream (plain or gzip), a catalogue, -dump-vmstate output or trailer JSON.</summary>
    public static CheckTarget Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = SchemaFile.ReadBytes(path);
        string name = Path.GetFileName(path);
        return bytes.AsSpan().StartsWith("QEVM"u8) ? FromStream(new MemoryStream(bytes, writable: false), name) : From(SchemaFile.FromBytes(bytes, name));
    }
}
