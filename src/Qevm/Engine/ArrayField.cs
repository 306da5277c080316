using System.Buffers;

namespace Qevm.Engine;

/// <summary>
/// An array of scalars: a fixed count (<c>VMSTATE_*_ARRAY</c>), or a count taken from the state when the field is
/// reached (<c>VMSTATE_VARRAY_*</c>, §7.1), in which case a load makes the array that long.
/// </summary>
internal sealed class ArrayField<T, TField>(string name, FieldAccessor<T, TField[]> member, int? fixedCount, Func<T, int>? count, int versionId, Func<T, int, bool>? exists)
    : BoundField<T>(name, versionId, exists) where T : class where TField : unmanaged
{
    public override string TypeName { get; } = ScalarInfo<TField>.Require();

    public override int Count(T state) => fixedCount ?? count!(state);

    public override void PrepareLoad(T state, int count)
    {
        ref var array = ref member(state);
        if (array.Length < count) System.Array.Resize(ref array, count);
    }

    public override void SaveElement(T state, int index, ArrayBufferWriter<byte> output, QemuJsonWriter? json) =>
        ScalarInfo<TField>.Write(member(state)[index], output);

    public override void LoadElement(T state, int index, LoadInput input) =>
        member(state)[index] = ScalarInfo<TField>.FromBits(input.ReadBits(ScalarInfo<TField>.Size, "'" + Name + "'"));
}
