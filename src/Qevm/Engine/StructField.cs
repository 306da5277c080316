using System.Buffers;

namespace Qevm.Engine;

/// <summary>
/// A nested description over a nested state object (<c>VMSTATE_STRUCT</c>), or a fixed array of them
/// (<c>VMSTATE_STRUCT_ARRAY</c>). Each element is encoded with the nested description's own version (§5.3).
/// </summary>
internal sealed class StructField<T, TStruct>(string name, Func<T, TStruct[]> elements, int count, Vmsd<TStruct> vmsd, int versionId, Func<T, int, bool>? exists)
    : BoundField<T>(name, versionId, exists) where T : class where TStruct : class
{
    public override string TypeName => "struct";

    public override bool IsStruct => true;

    // A struct array is described per element when the nested description has subsections or such fields (§7.3).
    public override bool CanCompress => Exists is null && vmsd.CanCompress;

    public override int Count(T state) => count;

    public override void SaveElement(T state, int index, ArrayBufferWriter<byte> output, QemuJsonWriter? json) =>
        vmsd.Save(elements(state)[index], output, json);

    public override void LoadElement(T state, int index, LoadInput input) =>
        vmsd.Load(elements(state)[index], input, vmsd.VersionId);
}
