namespace Qevm.Guest;

/// <summary>
/// What the caller knows of a guest's layout that its stream does not hold: the whole layout (<c>--layout</c>), or the
/// addresses of device memory such as DIMMs (a libvirt image's domain XML, <see cref="Guest.DeviceMemory"/>).
/// </summary>
public sealed record GuestLayoutHints
{
    /// <summary>The guest-physical ranges, given whole: they replace the stream's layout (<see cref="GuestPhysicalLayout.FromRanges"/>).</summary>
    public IReadOnlyList<GuestRange>? Ranges { get; init; }

    /// <summary>RAM block → guest-physical address of device memory, placed beside the stream's layout.</summary>
    public IReadOnlyDictionary<string, ulong>? DeviceMemory { get; init; }

    /// <summary>What a container tells of the layout: a libvirt image's domain XML places the guest's DIMMs; null otherwise.</summary>
    /// <exception cref="GuestLayoutException">The domain XML does not parse.</exception>
    public static GuestLayoutHints? From(Qevm.Container.VmStateContainer? container) =>
        container is Qevm.Container.LibvirtSaveHeader { Xml: { Length: > 0 } xml } ? new GuestLayoutHints { DeviceMemory = Guest.DeviceMemory.FromLibvirtXml(xml) } : null;
}
