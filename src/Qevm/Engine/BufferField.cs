using System.Buffers;

namespace Qevm.Engine;

/// <summary>
/// Raw bytes: <c>VMSTATE_BUFFER</c> (<c>buffer</c>, a fixed size), <c>VMSTATE_VBUFFER</c> (<c>buffer</c>, the size read
/// from the state, from fields loaded before it), or <c>VMSTATE_UNUSED</c> (<c>unused_buffer</c>: zeros on save,
/// ignored on load, §6.1) when there is no member.
/// </summary>
internal sealed class BufferField<T>(string name, FieldAccessor<T, byte[]>? member, Func<T, int> sizeOf, int versionId, Func<T, int, bool>? exists)
    : BoundField<T>(name, versionId, exists) where T : class
{
    public override string TypeName => member is null ? "unused_buffer" : "buffer";

    public override int Count(T state) => 1;

    public override void SaveElement(T state, int index, ArrayBufferWriter<byte> output, QemuJsonWriter? json)
    {
        int size = Size(state);
        var span = output.GetSpan(size)[..size];
        if (member is null) span.Clear();
        else
        {
            var bytes = member(state);
            if (bytes.Length < size) throw new InvalidOperationException($"'{Name}' holds {bytes.Length} bytes, the description {size}");
            bytes.AsSpan(0, size).CopyTo(span);
        }
        output.Advance(size);
    }

    public override void LoadElement(T state, int index, LoadInput input)
    {
        int size = Size(state);
        var bytes = input.Take(size, "'" + Name + "'");
        if (member is null) return;
        ref var target = ref member(state);
        if (target.Length < size) target = new byte[size];
        bytes.CopyTo(target);
    }

    private int Size(T state)
    {
        int size = sizeOf(state);
        if (size < 0) throw new InvalidOperationException($"'{Name}': a buffer size of {size}");
        return size;
    }
}
