namespace Qevm.Compatibility;

/// <summary>
/// A field as it lies on the wire: a leaf of a description with its nested structs opened (a struct's bytes are its
/// fields' bytes, nothing more), so that moving fields into a struct, or renaming the struct, changes no layout.
/// </summary>
/// <param name="Path">The field's path from the section (<c>parent_obj.config</c>).</param>
/// <param name="Field">The field.</param>
/// <param name="Elements">Elements on the wire, with those of enclosing struct arrays; null when not known (<c>-dump-vmstate</c> gives no counts, a VARRAY counts at run time).</param>
/// <param name="Conditional">The field or an enclosing struct has a <c>field_exists</c> test whose outcome is not known here.</param>
public sealed record WireField(string Path, VmStateField Field, int? Elements, bool Conditional)
{
    /// <summary>
    /// Possibly an array with no elements on the other side, whose trailer leaves such arrays out (QEMU's vmdesc omits
    /// a field of 0 elements); set on fields of unknown count (<c>-dump-vmstate</c>) compared with a trailer.
    /// </summary>
    public bool MaybeEmpty { get; init; }

    /// <summary>Bytes of one element.</summary>
    public int Size => Field.Size;

    /// <summary>True for an <c>unused</c> placeholder (<c>VMSTATE_UNUSED</c>).</summary>
    public bool IsUnused => Field.Type == VmStateType.UnusedBuffer || Field.Name == "unused";

    /// <summary>Bytes on the wire when the element count is known.</summary>
    public long? Length => Elements is { } n ? (long)n * Size : null;
}
