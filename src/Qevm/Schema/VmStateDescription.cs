namespace Qevm;

/// <summary>
/// A VMState description (QEMU's <c>VMStateDescription</c>): name, version, fields in wire order and the
/// subsections that may follow them. One model for every source: a trailer, a catalogue, code.
/// </summary>
public sealed class VmStateDescription
{
    /// <summary>Creates a description.</summary>
    public VmStateDescription(string name, int versionId, IReadOnlyList<VmStateField> fields, IReadOnlyList<VmStateDescription>? subsections = null)
    {
        Name = name;
        VersionId = versionId;
        Fields = fields;
        Subsections = subsections ?? [];
    }

    /// <summary>The vmsd name (<c>cpu</c>, <c>cpu/msr_smi_count</c>); for a subsection, its stream name.</summary>
    public string Name { get; }

    /// <summary>Version the data was (or is to be) written with.</summary>
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
    /// Subsections may be absent and come in any order (a source that lists every possible subsection, such as
    /// <c>-dump-vmstate</c>); otherwise exactly the listed subsections follow, in order (a trailer).
    /// </summary>
    public bool SubsectionsOptional { get; init; }

    /// <summary>Where the description came from (trailer, catalogue, dump-vmstate, code).</summary>
    public string Origin { get; init; } = "trailer";
}
