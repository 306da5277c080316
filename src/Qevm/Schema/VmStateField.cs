namespace Qevm.Schema;

/// <summary>
/// One field of a description (QEMU's <c>VMStateField</c>): name, codec and element size, element count, the
/// version it was added in, its <c>field_exists</c> test, and a nested description. A non-compressible array in a
/// trailer is several consecutive fields with the same <see cref="Name"/>, which the decoder joins (§7.3).
/// </summary>
public sealed class VmStateField
{
    /// <summary>Creates a field of <paramref name="count"/> elements (1 when not given) of <paramref name="size"/> bytes each.</summary>
    public VmStateField(string name, string typeName, int size, ElementCount? count = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(typeName);
        Name = name;
        TypeName = typeName;
        Type = VmStateTypes.FromName(typeName);
        Size = size;
        Count = count ?? ElementCount.Fixed(1);
    }

    /// <summary>QEMU's field name (may contain <c>.</c> and <c>[k]</c>).</summary>
    public string Name { get; }

    /// <summary>QEMU's type name (<c>uint32</c>, <c>int64 equal</c>, <c>pci config</c>, ...).</summary>
    public string TypeName { get; }

    /// <summary>The codec.</summary>
    public VmStateType Type { get; }

    /// <summary>Bytes of one element as written (for nested descriptions: of the first element, where known).</summary>
    public int Size { get; }

    /// <summary>Number of elements: fixed, or from another field (<c>VARRAY</c>).</summary>
    public ElementCount Count { get; }

    /// <summary>
    /// For a buffer whose size another field gives (<c>VMSTATE_VBUFFER</c>): that size; <see cref="Size"/> is then
    /// only the size of the example it was described from.
    /// </summary>
    public ElementCount? VariableSize { get; init; }

    /// <summary>The field's own <c>version_id</c>: it is on the wire when the description's version is at least this (§5.3).</summary>
    public int VersionId { get; init; }

    /// <summary>The <c>field_exists</c> test, when the field has one: then it alone decides (§5.3 rule 4).</summary>
    public FieldExists? Exists { get; init; }

    /// <summary>True when the field is (part of) an array even with one element (<c>array_len</c> or <c>index</c>, an <c>_ARRAY</c> macro).</summary>
    public bool IsArray { get; init; }

    /// <summary>The type (and so the value) is inferred from the size, not known (<c>-dump-vmstate</c>).</summary>
    public bool Inferred { get; init; }

    /// <summary>The nested description of <c>struct</c>, <c>vstruct</c> and <c>tmp</c> fields; null when unknown.</summary>
    public VmStateDescription? Struct { get; init; }

    /// <summary>Where the field lives in the engine's state (QEMU's <c>offset</c> into <c>opaque</c>); null for descriptions read from files.</summary>
    internal IFieldBinding? Binding { get; init; }
}
