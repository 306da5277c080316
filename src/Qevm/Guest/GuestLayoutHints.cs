using System.Globalization;
using System.Xml.Linq;

namespace Qevm.Guest;

/// <summary>
/// What the caller knows of a guest's layout that its stream does not hold: the whole layout (<c>--layout</c>), the
/// addresses of device memory such as DIMMs (a libvirt image's domain XML, <see cref="Guest.DeviceMemory"/>), and what
/// decides whether x86 RAM above 4 GiB starts at 4 GiB or 1 TiB (<see cref="CpuVendor"/>, <see cref="MaxRamSize"/>).
/// </summary>
public sealed record GuestLayoutHints
{
    /// <summary>The guest-physical ranges, given whole: they replace the stream's layout (<see cref="GuestPhysicalLayout.FromRanges"/>).</summary>
    public IReadOnlyList<GuestRange>? Ranges { get; init; }

    /// <summary>RAM block → guest-physical address of device memory, placed beside the stream's layout.</summary>
    public IReadOnlyDictionary<string, ulong>? DeviceMemory { get; init; }

    /// <summary>The first vCPU's vendor (x86): QEMU moves RAM above 4 GiB to 1 TiB only for an AMD vCPU.</summary>
    public X86CpuVendor? CpuVendor { get; init; }

    /// <summary>QEMU's <c>maxram_size</c> (<c>-m maxmem=</c>) in bytes: the RAM plus what memory hotplug may add.</summary>
    public ulong? MaxRamSize { get; init; }

    /// <summary>QEMU's <c>ram_slots</c> (<c>-m slots=</c>), for a stream that does not carry the ACPI memory-hotplug state.</summary>
    public int? RamSlots { get; init; }

    /// <summary>What a container tells of the layout: a libvirt image's domain XML (<see cref="FromLibvirtXml"/>); null otherwise.</summary>
    /// <exception cref="GuestLayoutException">The domain XML does not parse.</exception>
    public static GuestLayoutHints? From(Qevm.Container.VmStateContainer? container) =>
        container is Qevm.Container.LibvirtSaveHeader { Xml: { Length: > 0 } xml } ? FromLibvirtXml(xml) : null;

    /// <summary>
    /// What a libvirt domain XML says: its DIMMs' addresses, <c>&lt;maxMemory slots='N' unit='U'&gt;</c>, and the vCPU
    /// vendor where the XML states it (<c>&lt;cpu&gt;&lt;vendor&gt;</c>, or the model's <c>vendor_id</c>).
    /// </summary>
    /// <exception cref="GuestLayoutException">The XML does not parse.</exception>
    public static GuestLayoutHints FromLibvirtXml(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var doc = Guest.DeviceMemory.ParseXml(xml);
        var maxMemory = doc.Root?.Element("maxMemory");
        var cpu = doc.Root?.Element("cpu");
        return new GuestLayoutHints
        {
            DeviceMemory = Guest.DeviceMemory.FromLibvirtXml(doc),
            MaxRamSize = maxMemory is null ? null : LibvirtSize(maxMemory),
            RamSlots = int.TryParse((string?)maxMemory?.Attribute("slots"), NumberStyles.None, CultureInfo.InvariantCulture, out int slots) ? slots : null,
            // vendor_id is what libvirt passes to -cpu; <vendor> is the host's that the CPU requires, the one KVM shows.
            CpuVendor = ((string?)cpu?.Element("model")?.Attribute("vendor_id"))?.Trim() switch
            {
                "AuthenticAMD" => X86CpuVendor.Amd,
                { Length: > 0 } => X86CpuVendor.Intel,
                _ => ((string?)cpu?.Element("vendor"))?.Trim() switch
                {
                    "AMD" => X86CpuVendor.Amd,
                    { Length: > 0 } => X86CpuVendor.Intel,
                    _ => null,
                },
            },
        };
    }

    /// <summary>
    /// A size as QEMU's <c>qemu_strtosz</c> reads <c>-m maxmem=</c>: a decimal number (a fraction allowed with a
    /// suffix) or 0x hex, then an optional suffix B, K, M, G, T, P or E (powers of 1024, either case); bytes without one.
    /// </summary>
    /// <param name="text">The size.</param>
    /// <param name="name">What the size is, for the message (an option's name).</param>
    /// <exception cref="ArgumentException">The text is not a size.</exception>
    public static ulong ParseSize(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        int power = t.Length == 0 ? -1 : "bkmgtpe".IndexOf(char.ToLowerInvariant(t[^1]), StringComparison.Ordinal);
        var number = power >= 0 ? t[..^1] : t;
        ulong factor = 1UL << (10 * Math.Max(power, 0));
        if (number.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (ulong.TryParse(number[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex) && hex <= ulong.MaxValue / factor)
                return hex * factor;
        }
        else if (decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value)
            && (power > 0 || decimal.Truncate(value) == value) && value <= ulong.MaxValue / (decimal)factor)
        {
            return (ulong)(value * factor);
        }
        throw new ArgumentException($"{name} '{text}': expected a size (bytes, or a number with K, M, G, T, P or E: 1T, 512G, 4096M)");
    }

    // libvirt's scaled integers: a unit attribute (KiB when left out) of b/bytes, k/KiB (1024) or KB (1000) and so on to E.
    private static ulong? LibvirtSize(XElement element)
    {
        if (!ulong.TryParse(element.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)) return null;
        var unit = ((string?)element.Attribute("unit") ?? "KiB").ToLowerInvariant();
        if (unit is "b" or "byte" or "bytes") return value;
        int power = unit.Length == 0 ? -1 : "kmgtpe".IndexOf(unit[0], StringComparison.Ordinal) + 1;
        ulong scale = unit.Length == 1 || unit[1..] == "ib" ? 1024UL : unit[1..] == "b" ? 1000UL : 0;
        if (power <= 0 || scale == 0) return null;
        ulong factor = 1;
        for (int i = 0; i < power; i++) factor *= scale;
        return value <= ulong.MaxValue / factor ? value * factor : null;
    }
}
