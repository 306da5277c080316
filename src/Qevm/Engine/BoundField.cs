using System.Buffers;

namespace Qevm.Engine;

/// <summary>
/// One row of a C#-declared description (QEMU's <c>VMStateField</c>) bound to a member of the state: how many
/// elements, how each is written and read. The field loop itself is in <see cref="Vmsd{T}"/>.
/// </summary>
internal abstract class BoundField<T>(string name, int versionId, Func<T, int, bool>? exists) where T : class
{
    public string Name { get; } = name;

    /// <summary>The trailer name: <c>name[k]</c> when the description has several fields of that name (§13.4).</summary>
    public string TrailerName { get; set; } = name;

    public int VersionId { get; } = versionId;

    public Func<T, int, bool>? Exists { get; } = exists;

    public abstract string TypeName { get; }

    public virtual bool IsStruct => false;

    /// <summary>vmsd_can_compress: one trailer object for the whole array (§7.3).</summary>
    public virtual bool CanCompress => Exists is null;

    /// <summary>§5.3 rule 4: <c>field_exists</c> is the sole authority when set, else <c>version_id &lt;= V</c>.</summary>
    public bool IsPresent(T state, int versionId) => Exists is not null ? Exists(state, versionId) : VersionId <= versionId;

    /// <summary>Elements to write or read now (vmstate_n_elems, from the state as it is).</summary>
    public abstract int Count(T state);

    /// <summary>Called before the elements are loaded (variable arrays make room).</summary>
    public virtual void PrepareLoad(T state, int count)
    {
    }

    public abstract void SaveElement(T state, int index, ArrayBufferWriter<byte> output, QemuJsonWriter? json);

    public abstract void LoadElement(T state, int index, LoadInput input);
}
