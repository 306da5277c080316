using System.Globalization;
using System.Xml.Linq;

namespace Qevm.Guest;

/// <summary>
/// Where device memory (pc-dimm, nvdimm) sits in guest-physical space, by RAM block: the stream holds such a block but
/// not its address, which QEMU picks in its device-memory region. A libvirt save image's domain XML records it:
/// <c>&lt;memory model='dimm'&gt;</c> with <c>&lt;address type='dimm' slot='0' base='0x…'/&gt;</c>; libvirt names the
/// device by its model and slot (<c>dimm0</c>, the alias a live XML shows) and its backend, so the RAM block,
/// <c>mem</c> + that name.
/// </summary>
public static class DeviceMemory
{
    /// <summary>The RAM block → guest-physical address of each DIMM in a libvirt domain XML (empty when it has none).</summary>
    /// <exception cref="GuestLayoutException">The XML does not parse.</exception>
    public static IReadOnlyDictionary<string, ulong> FromLibvirtXml(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return xml.Length == 0 ? new Dictionary<string, ulong>(StringComparer.Ordinal) : FromLibvirtXml(ParseXml(xml));
    }

    /// <summary>Parses a libvirt domain XML.</summary>
    /// <exception cref="GuestLayoutException">The XML does not parse.</exception>
    internal static XDocument ParseXml(string xml)
    {
        try
        {
            return XDocument.Parse(xml);
        }
        catch (System.Xml.XmlException e)
        {
            throw new GuestLayoutException("the libvirt domain XML does not parse: " + e.Message, e);
        }
    }

    internal static Dictionary<string, ulong> FromLibvirtXml(XDocument doc)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var memory in doc.Descendants("devices").Elements("memory"))
        {
            if ((string?)memory.Attribute("model") is not ("dimm" or "nvdimm")) continue;
            var address = memory.Elements("address").FirstOrDefault(a => (string?)a.Attribute("type") == "dimm");
            var at = (string?)address?.Attribute("base");
            // A save image holds the migratable XML, without aliases: libvirt names a DIMM by its model and slot.
            var alias = (string?)memory.Element("alias")?.Attribute("name")
                ?? ((string?)address?.Attribute("slot") is { } slot ? (string?)memory.Attribute("model") + slot : null);
            if (alias is null || at is null) continue;
            var digits = at.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? at[2..] : at;
            if (ulong.TryParse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong guestAddress))
                result["mem" + alias] = guestAddress;
        }
        return result;
    }
}
