namespace Qevm.Codec;

/// <summary>A decoded value with where its bytes are. Offsets are absolute in the stream.</summary>
public abstract class VmValue
{
    /// <summary>Offset of the value's first byte.</summary>
    public long Offset { get; internal set; }

    /// <summary>Number of bytes the value takes.</summary>
    public int Length { get; internal set; }

    /// <summary>The field this value belongs to (null for the top level of a section or a subsection).</summary>
    public VmStateField? Field { get; internal set; }
}

/// <summary>An integer, boolean or floating-point value, kept as its raw big-endian bits.</summary>
public sealed class VmScalar : VmValue
{
    /// <summary>The bits as read (zero-extended).</summary>
    public ulong Bits { get; set; }

    /// <summary>Bytes on the wire (1, 2, 4 or 8).</summary>
    public int Size { get; internal init; }

    /// <summary>The codec: <see cref="VmStateType.Int"/>, <see cref="VmStateType.UInt"/>, <see cref="VmStateType.Bool"/> or <see cref="VmStateType.Float64"/>.</summary>
    public VmStateType Type { get; internal init; }

    /// <summary>The value as a signed integer (sign-extended from <see cref="Size"/>).</summary>
    public long AsInt64 => Size >= 8 ? (long)Bits : (long)(Bits << (64 - Size * 8)) >> (64 - Size * 8);

    /// <summary>The value as a double (<c>CPU_Double_U</c>, <c>float64</c>).</summary>
    public double AsDouble => BitConverter.UInt64BitsToDouble(Bits);
}

/// <summary>Raw bytes: buffers, bitmaps, unused bytes, and types Qevm does not look inside.</summary>
public sealed class VmBytes : VmValue
{
    /// <summary>The bytes.</summary>
    public byte[] Bytes { get; set; } = [];
}

/// <summary>A counted string (<c>capability</c>).</summary>
public sealed class VmString : VmValue
{
    /// <summary>The string bytes.</summary>
    public byte[] Bytes { get; set; } = [];

    /// <summary>The string.</summary>
    public string Text => System.Text.Encoding.Latin1.GetString(Bytes);
}

/// <summary>The 0x30 byte standing for a NULL element of a pointer array (§5.6).</summary>
public sealed class VmNull : VmValue;

/// <summary>An array: the elements of one field, or of consecutive same-named trailer entries.</summary>
public sealed class VmArray : VmValue
{
    private readonly List<VmValue> _elements = [];

    /// <summary>Elements in order.</summary>
    public IReadOnlyList<VmValue> Elements => _elements;

    internal void Add(VmValue element) => _elements.Add(element);
}

/// <summary>A decoded description: named members (fields, then subsections) in wire order.</summary>
public sealed class VmStruct : VmValue
{
    /// <summary>The description it was decoded with.</summary>
    public required VmStateDescription Description { get; init; }

    private readonly List<KeyValuePair<string, VmValue>> _members = [];

    /// <summary>Members in wire order: fields by name, then subsections by their name.</summary>
    public IReadOnlyList<KeyValuePair<string, VmValue>> Members => _members;

    internal void Add(string name, VmValue member) => _members.Add(new(name, member));

    /// <summary>For a subsection: the version in its header; else null.</summary>
    public uint? SubsectionVersion { get; init; }

    /// <summary>The member with that exact name, or null.</summary>
    public VmValue? this[string name]
    {
        get
        {
            foreach (var m in Members)
                if (m.Key == name) return m.Value;
            return null;
        }
    }
}
