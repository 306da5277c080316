namespace Qevm.Engine;

/// <summary>
/// An array of scalars: a fixed count (<c>VMSTATE_*_ARRAY</c>), or a count from a field before it or from the
/// state (<c>VMSTATE_VARRAY_*</c>, §7.1), in which case a load makes the array that long.
/// </summary>
internal sealed class ArrayField<T, TField>(string name, FieldAccessor<T, TField[]> member, ElementCount count, int versionId, Func<T, int, bool>? exists)
    : BoundField<T>(name, versionId, exists) where T : class where TField : unmanaged
{
    public override VmStateField ToField() => new(Name, ScalarInfo<TField>.Require(), ScalarInfo<TField>.Size, count) { IsArray = true, Binding = this, VersionId = Since, Exists = Test };

    public override void Prepare(object opaque, int count)
    {
        ref var array = ref member((T)opaque);
        if (array.Length < count) System.Array.Resize(ref array, count);
    }

    public override ulong GetBits(object opaque, int index) => ScalarInfo<TField>.ToBits(member((T)opaque)[index]);

    public override void SetBits(object opaque, int index, ulong bits, long offset) => member((T)opaque)[index] = ScalarInfo<TField>.FromBits(bits);
}
