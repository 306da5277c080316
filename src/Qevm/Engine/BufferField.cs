using System.Buffers;

namespace Qevm.Engine;

/// <summary>
/// Raw bytes of a fixed size: <c>VMSTATE_BUFFER</c> (<c>buffer</c>), or <c>VMSTATE_UNUSED</c>
/// (<c>unused_buffer</c>: zeros on save, ignored on load, §6.1) when there is no member.
/// </summary>
internal sealed class BufferField<T>(string name, FieldAccessor<T, byte[]>? member, int size, int versionId, Func<T, int, bool>? exists)
    : BoundField<T>(name, versionId, exists) where T : class
{
    public override string TypeName => member is null ? "unused_buffer" : "buffer";

    public override int Count(T state) => 1;

    public override void SaveElement(T state, int index, ArrayBufferWriter<byte> output, QemuJsonWriter? json)
    {
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
        var bytes = input.Take(size, "'" + Name + "'");
        if (member is null) return;
        ref var target = ref member(state);
        if (target.Length < size) target = new byte[size];
        bytes.CopyTo(target);
    }
}
