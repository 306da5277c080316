namespace Qevm.Engine;

/// <summary>
/// One row of a C#-declared description bound to a member of the state: it makes the shared model's
/// <see cref="VmStateField"/> and is that field's <see cref="IFieldBinding"/> (QEMU's <c>offset</c> into
/// <c>opaque</c>). The field loop itself is the interpreter's (<see cref="VmStateCodec"/>).
/// </summary>
internal abstract class BoundField<T>(string name, int versionId, Func<T, int, bool>? exists) : IFieldBinding where T : class
{
    public string Name { get; } = name;

    /// <summary>The field in the shared model, bound to this.</summary>
    public abstract VmStateField ToField();

    /// <summary>The field's <c>version_id</c>.</summary>
    protected int Since { get; } = versionId;

    /// <summary>Its <c>field_exists</c> test over the state.</summary>
    protected FieldExists? Test { get; } = exists is null ? null : FieldExists.When((o, v) => exists((T)o, v));

    public virtual ulong GetBits(object opaque, int index) => throw new InvalidOperationException("'" + Name + "' is not a scalar");

    public virtual void SetBits(object opaque, int index, ulong bits, long offset) => throw new InvalidOperationException("'" + Name + "' is not a scalar");

    public virtual ReadOnlySpan<byte> GetBytes(object opaque, int size) => throw new InvalidOperationException("'" + Name + "' is not a buffer");

    public virtual void SetBytes(object opaque, ReadOnlySpan<byte> bytes) => throw new InvalidOperationException("'" + Name + "' is not a buffer");

    public virtual object GetElement(object opaque, int index) => throw new InvalidOperationException("'" + Name + "' is not a struct");

    public virtual void Prepare(object opaque, int count)
    {
    }
}
