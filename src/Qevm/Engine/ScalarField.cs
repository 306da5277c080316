using System.Buffers;

namespace Qevm.Engine;

/// <summary>A single integer, boolean, float or timer member.</summary>
internal sealed class ScalarField<T, TField>(string name, FieldAccessor<T, TField> member, string typeName, int versionId, Func<T, int, bool>? exists)
    : BoundField<T>(name, versionId, exists) where T : class where TField : unmanaged
{
    public override string TypeName => typeName;

    public override int Count(T state) => 1;

    public override void SaveElement(T state, int index, ArrayBufferWriter<byte> output, QemuJsonWriter? json) =>
        ScalarInfo<TField>.Write(member(state), output);

    public override void LoadElement(T state, int index, LoadInput input) =>
        member(state) = ScalarInfo<TField>.FromBits(input.ReadBits(ScalarInfo<TField>.Size, "'" + Name + "'"));
}
