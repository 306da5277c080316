namespace Qevm.Engine;

/// <summary>
/// Raw bytes: <c>VMSTATE_BUFFER</c> (<c>buffer</c>, a fixed size), <c>VMSTATE_VBUFFER</c> (<c>buffer</c>, the size from
/// a field loaded before it or from the state), or <c>VMSTATE_UNUSED</c> (<c>unused_buffer</c>: zeros on save,
/// ignored on load, §6.1) when there is no member.
/// </summary>
internal sealed class BufferField<T>(string name, FieldAccessor<T, byte[]>? member, int size, ElementCount? variableSize, int versionId, Func<T, int, bool>? exists)
    : BoundField<T>(name, versionId, exists) where T : class
{
    public override VmStateField ToField() => new(Name, member is null ? "unused_buffer" : "buffer", size) { VariableSize = variableSize, Binding = this, VersionId = Since, Exists = Test };

    public override ReadOnlySpan<byte> GetBytes(object opaque, int size)
    {
        var bytes = member!((T)opaque);
        if (bytes.Length < size) throw new InvalidOperationException($"'{Name}' holds {bytes.Length} bytes, the description {size}");
        return bytes.AsSpan(0, size);
    }

    public override void SetBytes(object opaque, ReadOnlySpan<byte> bytes)
    {
        if (member is null) return;
        ref var target = ref member((T)opaque);
        if (target.Length < bytes.Length) target = new byte[bytes.Length];
        bytes.CopyTo(target);
    }
}
