using System.Globalization;

namespace Qevm.Iterative.Opaque;

/// <summary>
/// Data of an iterative handler Qevm has no format for (VFIO's device data): one opaque item up to the section's
/// footer, which needs a stream with footers.
/// </summary>
internal sealed class OpaqueHandler : IIterativeHandler
{
    public void Read(VmStateReader r)
    {
        var h = r.Section!;
        long at = r.Input.Position;
        if (r.HasFooters == false)
            throw new VmStateFormatException(VmStateError.NeedsSchema, at, "a handler for iterative section '" + h.Idstr + "' or section footers", "neither");
        long len = r.ScanForFooter(h.SectionId);
        if (len < 0)
            throw new VmStateFormatException(VmStateError.BadFooter, at,
                string.Create(CultureInfo.InvariantCulture, $"footer 0x7E + be32 {h.SectionId} closing the data of '{h.Idstr}'"), "none",
                FooterMessages.Missing(h.Idstr));
        r.SetItem(IterativeItemKind.Opaque, len, true, dataLength: (int)len);
    }
}
