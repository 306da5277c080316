using Qevm.Iterative.Block;
using Qevm.Iterative.DirtyBitmap;
using Qevm.Iterative.Htab;
using Qevm.Iterative.Opaque;
using Qevm.Iterative.StorageAttributes;
namespace Qevm.Iterative;

/// <summary>
/// The iterative section formats Qevm parses, by the idstr their handler registers with
/// (<c>register_savevm_live</c>); any other idstr's data is kept opaque up to its footer (VFIO).
/// </summary>
internal static class IterativeHandlers
{
    private static readonly Dictionary<string, Func<IIterativeHandler>> Table = new(StringComparer.Ordinal)
    {
        ["ram"] = () => new RamHandler(),
        ["block"] = () => new BlockHandler(),
        ["dirty-bitmap"] = () => new DirtyBitmapHandler(),
        ["spapr/htab"] = () => new HtabHandler(),
        ["s390-storage_attributes"] = () => new StorageAttributesHandler(),
    };

    /// <summary>A new handler for the data of the sections named <paramref name="idstr"/>.</summary>
    public static IIterativeHandler Create(string idstr) => Table.TryGetValue(idstr, out var create) ? create() : new OpaqueHandler();
}
