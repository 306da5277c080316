namespace Qevm.Schema;

/// <summary>
/// Where a field's elements live in the engine's state (QEMU's <c>offset</c> into <c>opaque</c>): the interpreter
/// reads values from it on save and stores them into it on load, field by field as QEMU does, so that tests and
/// counts of later fields see the fields loaded before them.
/// </summary>
internal interface IFieldBinding
{
    /// <summary>Element <paramref name="index"/> as the bits of a scalar (big-endian order is the codec's business).</summary>
    ulong GetBits(object opaque, int index);

    /// <summary>Stores a scalar element; an <c>equal</c> field compares instead and throws QEMU's refusal.</summary>
    void SetBits(object opaque, int index, ulong bits, long offset);

    /// <summary>The first <paramref name="size"/> bytes of a buffer field.</summary>
    ReadOnlySpan<byte> GetBytes(object opaque, int size);

    /// <summary>Stores a buffer field.</summary>
    void SetBytes(object opaque, ReadOnlySpan<byte> bytes);

    /// <summary>The state object of element <paramref name="index"/> of a nested description.</summary>
    object GetElement(object opaque, int index);

    /// <summary>Makes room for <paramref name="count"/> elements before a load (variable arrays).</summary>
    void Prepare(object opaque, int count);
}
