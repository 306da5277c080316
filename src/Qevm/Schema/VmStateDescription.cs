namespace Qevm.Schema;

/// <summary>
/// A VMState description (QEMU's <c>VMStateDescription</c>): name, versions, fields in wire order and the
/// subsections that may follow them, with QEMU's rules (field versions, <c>field_exists</c>, counts from fields,
/// <c>needed</c>). One model for every source: a trailer, a catalogue, <c>-dump-vmstate</c>, the engine's C# declarations.
/// </summary>
public sealed class VmStateDescription
{
    /// <summary>Creates a description.</summary>
    public VmStateDescription(string name, int versionId, IEnumerable<VmStateField> fields, IEnumerable<VmStateDescription>? subsections = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(fields);
        Name = name;
        VersionId = versionId;
        Fields = [.. fields];
        Subsections = subsections is null ? [] : [.. subsections];
    }

    /// <summary>The vmsd name (<c>cpu</c>, <c>cpu/msr_smi_count</c>); for a subsection, its stream name.</summary>
    public string Name { get; }

    /// <summary><c>version_id</c>: for a trailer, the version the data was written with; else the newest version loaded.</summary>
    public int VersionId { get; }

    /// <summary><c>minimum_version_id</c>, when the source knows it.</summary>
    public int? MinimumVersionId { get; init; }

    /// <summary>Fields in wire order.</summary>
    public IReadOnlyList<VmStateField> Fields { get; }

    /// <summary>Subsections in wire order (for a trailer: those that were written).</summary>
    public IReadOnlyList<VmStateDescription> Subsections { get; }

    /// <summary>An old-style section (§15): one opaque <c>data</c> buffer.</summary>
    public bool IsOldStyle { get; init; }

    /// <summary>
    /// Subsections may be absent and come in any order (a source that lists every possible subsection:
    /// <c>-dump-vmstate</c>, code); otherwise exactly the listed subsections follow, in order (a trailer).
    /// </summary>
    public bool SubsectionsOptional { get; init; }

    /// <summary>Where the description came from.</summary>
    public SchemaOrigin Origin { get; init; } = SchemaOrigin.Trailer;

    /// <summary>QEMU's <c>MigrationPriority</c> (0 = <c>MIG_PRI_DEFAULT</c>); higher is saved first (§4.7).</summary>
    public int Priority { get; init; }

    /// <summary>
    /// The <c>needed</c> test over the state: for a subsection, whether it is written; for a device, whether its
    /// section is. Null: always (or, for a description read from a file, not known).
    /// </summary>
    public Func<object, bool>? Needed { get; init; }

    private string[]? _memberNames;

    /// <summary>
    /// The name a decoded value of field <paramref name="index"/> has in the value tree: the field's name, or, when the
    /// description has several fields of that name, <c>name[k]</c> as QEMU's trailer numbers them (§13.4). In a
    /// trailer the names are already numbered, and repeated names are the elements of one array (§7.3).
    /// </summary>
    public string MemberName(int index)
    {
        if (Origin is SchemaOrigin.Trailer or SchemaOrigin.Catalogue) return Fields[index].Name;
        _memberNames ??= NumberNames();
        return _memberNames[index];
    }

    private string[] NumberNames()
    {
        var names = new string[Fields.Count];
        var total = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in Fields) total[f.Name] = total.GetValueOrDefault(f.Name) + 1;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++)
        {
            var n = Fields[i].Name;
            int k = seen.GetValueOrDefault(n);
            seen[n] = k + 1;
            names[i] = total[n] > 1 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{n}[{k}]") : n;
        }
        return names;
    }

    /// <summary>The engine's <c>pre_save</c>, <c>pre_load</c> and <c>post_load</c> hooks.</summary>
    internal VmStateHooks? Hooks { get; init; }
}
