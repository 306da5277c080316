namespace Qevm;

/// <summary>
/// One field of a description. Arrays are a field with <see cref="Count"/> elements; a non-compressible array
/// in a trailer is several consecutive fields with the same <see cref="Name"/>, which the decoder joins (§7.3).
/// </summary>
public sealed class VmStateField
{
    /// <summary>Creates a field.</summary>
    public VmStateField(string name, string typeName, int size, int count = 1)
    {
        Name = name;
        TypeName = typeName;
        Type = VmStateTypes.FromName(typeName);
        Size = size;
        Count = count;
    }

    /// <summary>QEMU's field name (may contain <c>.</c> and <c>[k]</c>).</summary>
    public string Name { get; }

    /// <summary>QEMU's type name (<c>uint32</c>, <c>int64 equal</c>, <c>pci config</c>, ...).</summary>
    public string TypeName { get; }

    /// <summary>The codec.</summary>
    public VmStateType Type { get; }

    /// <summary>Bytes of one element as written (for nested descriptions: of the first element).</summary>
    public int Size { get; }

    /// <summary>Number of elements of this entry.</summary>
    public int Count { get; }

    /// <summary>True when the field is (part of) an array even with one element (<c>array_len</c> or <c>index</c>).</summary>
    public bool IsArray { get; init; }

    /// <summary>The type (and so the value) is inferred from the size, not known (<c>-dump-vmstate</c>).</summary>
    public bool Inferred { get; init; }

    /// <summary>The nested description of <c>struct</c>, <c>vstruct</c> and <c>tmp</c> fields; null when unknown.</summary>
    public VmStateDescription? Struct { get; init; }
}
