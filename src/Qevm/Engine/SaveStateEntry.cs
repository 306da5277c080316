namespace Qevm.Engine;

/// <summary>
/// One registration (QEMU's <c>SaveStateEntry</c>): the device, its idstr, instance id, optional legacy alias,
/// and the section id it got at registration (§4.8).
/// </summary>
public sealed class SaveStateEntry
{
    internal SaveStateEntry(VmStateDevice device, string idstr, uint instanceId, uint? aliasId, uint sectionId, int order)
    {
        Device = device;
        Idstr = idstr;
        InstanceId = instanceId;
        AliasId = aliasId;
        SectionId = sectionId;
        Order = order;
    }

    /// <summary>The device model.</summary>
    public VmStateDevice Device { get; }

    /// <summary>The section name.</summary>
    public string Idstr { get; }

    /// <summary>The instance id (automatic numbering per idstr when registered with <see cref="SaveStateRegistry.AnyInstance"/>).</summary>
    public uint InstanceId { get; }

    /// <summary>The legacy instance id the loader also accepts (<c>qdev_set_legacy_instance_id</c>), if any.</summary>
    public uint? AliasId { get; }

    /// <summary>The section id, from the registry's global counter at registration.</summary>
    public uint SectionId { get; }

    internal int Order { get; }

    /// <summary><c>idstr #instance (section id)</c>.</summary>
    public override string ToString() => $"'{Idstr}' #{InstanceId} (section {SectionId})";
}
