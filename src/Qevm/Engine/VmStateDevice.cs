namespace Qevm.Engine;

/// <summary>
/// A device model whose state a <see cref="SaveStateRegistry"/> saves and loads. Derive from
/// <see cref="VmStateDevice{TState}"/>, or use it as is.
/// </summary>
public abstract class VmStateDevice
{
    private protected VmStateDevice()
    {
    }

    /// <summary>The vmsd name; also the idstr unless the registration gives another.</summary>
    public abstract string VmsdName { get; }

    /// <summary>The description's <c>version_id</c>, written in the section header.</summary>
    public abstract int VersionId { get; }

    /// <summary>The description's <c>priority</c>.</summary>
    public abstract int Priority { get; }

    /// <summary>The description, in the shared schema model.</summary>
    public abstract VmStateDescription Describe();

    internal abstract bool IsNeeded();

    /// <summary>The tree a save writes now.</summary>
    internal abstract VmStruct Capture();

    /// <summary>A copy of the state for a load to fill.</summary>
    internal abstract object BeginLoad();

    /// <summary>
    /// Loads a section's data (<paramref name="payload"/>, whose first byte is at file offset
    /// <paramref name="payloadOffset"/>) into <paramref name="staged"/>. Data the device does not read is a
    /// <see cref="VmStateError.BadFooter"/> at the offset where it stopped: QEMU checks the footer there.
    /// </summary>
    internal abstract void Load(object staged, ReadOnlySpan<byte> payload, long payloadOffset, int versionId);

    /// <summary>Makes a fully loaded copy the device's state.</summary>
    internal abstract void Commit(object staged);
}
