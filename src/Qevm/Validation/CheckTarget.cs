namespace Qevm.Validation;

/// <summary>
/// What <c>check --target</c> knows of the QEMU that is to load a stream, from what it was given: an entry of the
/// <see cref="QemuVersionDatabase"/> (its QEMU version, machine type, RAM blocks, sections and versions, minimum
/// versions), a stream of that QEMU (its machine type, RAM blocks, sections with instance ids and versions), a
/// catalogue harvested from its streams (machine type, sections and versions), trailer JSON (its FULL sections and
/// their versions, no machine type), or its <c>-dump-vmstate</c> output (machine type, versions and minimum versions by
/// description name, but no list of sections: it has no instance ids and lacks sections every QEMU has).
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

    /// <summary>The file or source it came from (<c>qemu-10.0:pc-i440fx-7.2</c> for a database entry).</summary>
    public string Name { get; }

    /// <summary>What it is: <c>QEMU version database</c>, <c>migration stream</c>, <c>catalogue</c>, <c>trailer JSON</c>, <c>-dump-vmstate output</c>.</summary>
    public string Kind { get; }

    /// <summary>The target's machine type, when the target names one.</summary>
    public string? Machine { get; }

    /// <summary>The target's QEMU version (<c>10.0</c>), when known: database entries.</summary>
    public string? QemuVersion { get; private init; }

    /// <summary>
    /// The oldest QEMU the target can be: its <see cref="QemuVersion"/>, or for a stream or catalogue the version its
    /// machine type names (a <c>pc-q35-11.1</c> stream comes from QEMU 11.1 or newer). Decides the wording of messages
    /// that changed between versions.
    /// </summary>
    public Version? QemuVersionAtLeast { get; private init; }

    /// <summary>The target's RAM blocks (database entries and streams), in the order its streams list them; null when it does not tell.</summary>
    public IReadOnlyList<TargetRamBlock>? RamBlocks { get; private init; }

    /// <summary>
    /// What the target QEMU prints when it cannot even start (a database version asked for a machine type it does not
    /// have: <c>unsupported machine type</c>); null when it starts.
    /// </summary>
    public string? StartRefusal { get; private init; }

    /// <summary>True when the target lists its sections (idstr and instance id).</summary>
    public bool ListsSections => _sections is not null;

    /// <summary>
    /// True for a database entry: a QEMU version and machine type, started as a destination is, with the source's own
    /// devices, CPUs and memory. Its lists (the default devices' sections and RAM blocks) show what that QEMU has, not
    /// all the destination has: a section it lacks is still known when the version has its description or its idstr,
    /// and a RAM block it lacks belongs to a device or backend the destination gets from its command line.
    /// </summary>
    public bool AssumesSourceDevices { get; private init; }

    /// <summary>Whether the target lists a section <paramref name="idstr"/> of any instance.</summary>
    public bool HasSectionNamed(string idstr) => (_idstrs ??= _sections is null ? [] : [.. _sections.Keys.Select(k => k.Idstr)]).Contains(idstr);

    private HashSet<string>? _idstrs; // the idstrs of _sections, made when first asked

    /// <summary>The <c>-dump-vmstate</c> output, when that or a database entry is the target: versions and minimum versions by description name.</summary>
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
                return new CheckTarget(d.SourceName, "-dump-vmstate output", d.Machine, null, d) { QemuVersionAtLeast = VersionOfMachine(d.Machine) };
            case SchemaCatalogue c:
                var fromCatalogue = new Dictionary<(string, uint), uint?>();
                foreach (var (idstr, instance, version) in c.SectionVersions())
                    if (!fromCatalogue.TryGetValue((idstr, instance), out var had) || had < version) fromCatalogue[(idstr, instance)] = version;
                return new CheckTarget(c.SourceName, "catalogue", c.Machine, fromCatalogue, null) { QemuVersionAtLeast = VersionOfMachine(c.Machine) };
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

    /// <summary>The target a stream of that QEMU gives: its machine type, RAM blocks and sections with their versions.</summary>
    public static CheckTarget FromStream(System.IO.Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var info = StreamInfo.Read(stream);
        var sections = new Dictionary<(string, uint), uint?>();
        foreach (var s in info.Sections)
            if (s.Type is RecordType.SectionFull or RecordType.SectionStart) sections.TryAdd((s.Header.Idstr, s.Header.InstanceId), s.Header.VersionId);
        var machine = info.Configuration?.Machine;
        return new CheckTarget(name, "migration stream", machine, sections, null)
        {
            QemuVersionAtLeast = VersionOfMachine(machine),
            // The stream tells the destination's -m too: its pc.ram size is fixed like the others.
            RamBlocks = info.Ram is { } ram ? [.. ram.Blocks.Select(b => new TargetRamBlock(b.Name, b.UsedLength, TargetRamBlock.SizingOf(b.Name)))] : null,
        };
    }

    /// <summary>The target a machine type of the <see cref="QemuVersionDatabase"/> is.</summary>
    public static CheckTarget FromDatabase(QemuMachineType machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var sections = new Dictionary<(string, uint), uint?>();
        foreach (var s in machine.Sections) sections.TryAdd((s.Idstr, s.Instance), s.Version);
        return new CheckTarget(machine.Spec, "QEMU version database", machine.Name, sections, machine.Schema)
        {
            QemuVersion = machine.QemuVersion,
            QemuVersionAtLeast = System.Version.Parse(machine.QemuVersion),
            RamBlocks = machine.RamBlocks,
            AssumesSourceDevices = true,
        };
    }

    // A QEMU version asked for a machine type it does not have: it does not start.
    internal static CheckTarget Unsupported(QemuVersionEntry version, string machine) =>
        new($"qemu-{version.Version}:{machine}", "QEMU version database", machine, null, null)
        {
            QemuVersion = version.Version,
            QemuVersionAtLeast = System.Version.Parse(version.Version),
            StartRefusal = version.UnsupportedMachineMessage(machine),
        };

    /// <summary>Loads a target from a file: a migration stream (plain or gzip), a catalogue, -dump-vmstate output or trailer JSON.</summary>
    public static CheckTarget Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = SchemaFile.ReadBytes(path);
        string name = Path.GetFileName(path);
        return bytes.AsSpan().StartsWith("QEVM"u8) ? FromStream(new MemoryStream(bytes, writable: false), name) : From(SchemaFile.FromBytes(bytes, name));
    }

    // pc-i440fx-X.Y and pc-q35-X.Y exist from QEMU X.Y on.
    private static Version? VersionOfMachine(string? machine)
    {
        if (machine is null) return null;
        int dash = machine.LastIndexOf('-');
        return machine.StartsWith("pc-", StringComparison.Ordinal) && dash > 0 && System.Version.TryParse(machine[(dash + 1)..], out var v) ? v : null;
    }
}
