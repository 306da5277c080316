namespace Qevm.Compatibility;

/// <summary>
/// One side of a schema diff, whatever it was read from (<see cref="SchemaSideResolver"/>): its descriptions, and,
/// where the source gives them, its sections (idstr, instance, version) and RAM blocks (name, length).
/// <c>-dump-vmstate</c> output gives descriptions with minimum versions but no sections (it has no instance ids and
/// lacks sections every QEMU has) and no RAM blocks; a stream gives what it wrote; a catalogue what its streams wrote.
/// </summary>
public sealed class SchemaSide
{
    private readonly Dictionary<string, VmStateDescription> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, uint), SchemaSideSection>? _sections;

    /// <summary>Creates a side.</summary>
    public SchemaSide(string name, string kind, string? machine, IEnumerable<VmStateDescription> descriptions,
        IEnumerable<SchemaSideSection>? sections = null, IEnumerable<SchemaSideRamBlock>? ramBlocks = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(descriptions);
        Name = name;
        Kind = kind;
        Machine = machine;
        var list = new List<VmStateDescription>();
        foreach (var d in descriptions)
            if (_byName.TryAdd(d.Name, d)) list.Add(d);
        if (sections is not null)
        {
            _sections = [];
            var ordered = new List<SchemaSideSection>();
            foreach (var s in sections)
            {
                if (!_sections.TryAdd((s.Idstr, s.InstanceId), s)) continue;
                ordered.Add(s);
                if (s.Description is { } d && _byName.TryAdd(d.Name, d)) list.Add(d);
            }
            Sections = ordered;
        }
        Descriptions = list;
        RamBlocks = ramBlocks?.ToList();
    }

    /// <summary>The device types and the names of their descriptions, when the source lists them (<c>-dump-vmstate</c>).</summary>
    public IReadOnlyDictionary<string, string>? DeviceTypes { get; init; }

    /// <summary>The file or database entry it came from.</summary>
    public string Name { get; }

    /// <summary>What it is: <c>-dump-vmstate output</c>, <c>migration stream</c>, <c>catalogue</c>, <c>trailer JSON</c>, <c>database entry</c>.</summary>
    public string Kind { get; }

    /// <summary>The machine type, when the source names one.</summary>
    public string? Machine { get; }

    /// <summary>The descriptions, one per name, in the source's order.</summary>
    public IReadOnlyList<VmStateDescription> Descriptions { get; }

    /// <summary>The sections, when the source lists them (a stream, a catalogue); null for <c>-dump-vmstate</c> output.</summary>
    public IReadOnlyList<SchemaSideSection>? Sections { get; }

    /// <summary>The RAM blocks, when the source gives them; null when it does not.</summary>
    public IReadOnlyList<SchemaSideRamBlock>? RamBlocks { get; }

    /// <summary>True when the descriptions have no minimum versions and only the layout written (a trailer or catalogue).</summary>
    public bool WrittenLayoutsOnly => Kind is not ("-dump-vmstate output" or "database entry");

    /// <summary>The section <paramref name="idstr"/> #<paramref name="instance"/>, when the side lists it.</summary>
    public SchemaSideSection? Section(string idstr, uint instance) =>
        _sections is not null && _sections.TryGetValue((idstr, instance), out var s) ? s : null;

    /// <summary>The description named <paramref name="name"/>; null when the side has none.</summary>
    public VmStateDescription? Description(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// The description of section <paramref name="idstr"/> #<paramref name="instance"/>: the listed section's own, else
    /// the description named by the idstr or by one of its parts after a '/' (a device path, §4.9).
    /// </summary>
    public VmStateDescription? Describe(string idstr, uint instance)
    {
        ArgumentNullException.ThrowIfNull(idstr);
        if (Section(idstr, instance)?.Description is { } own) return own;
        foreach (var name in VmsdName.Candidates(idstr))
            if (_byName.TryGetValue(name, out var d)) return d;
        return null;
    }
}
