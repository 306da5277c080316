namespace Qevm.Engine;

/// <summary>
/// A nested description over a nested state object (<c>VMSTATE_STRUCT</c>), or a fixed array of them
/// (<c>VMSTATE_STRUCT_ARRAY</c>). Each element is encoded with the nested description's own version (§5.3).
/// </summary>
internal sealed class StructField<T, TStruct>(string name, Func<T, TStruct[]> elements, int count, bool isArray, Vmsd<TStruct> vmsd, int versionId, Func<T, int, bool>? exists)
    : BoundField<T>(name, versionId, exists) where T : class where TStruct : class
{
    public override VmStateField ToField() => new(Name, "struct", 0, count) { IsArray = isArray, Struct = vmsd.Description, Binding = this, VersionId = Since, Exists = Test };

    public override object GetElement(object opaque, int index) => elements((T)opaque)[index];
}
