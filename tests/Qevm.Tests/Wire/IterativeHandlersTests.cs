using Qevm.Iterative.Block;
using Qevm.Iterative.DirtyBitmap;
using Qevm.Iterative.Htab;
using Qevm.Iterative.Opaque;
using Qevm.Iterative.StorageAttributes;
namespace Qevm.Tests.Wire;

/// <summary>The table of iterative section formats by idstr (§11, §12).</summary>
public sealed class IterativeHandlersTests
{
    [Theory]
    [InlineData("ram", typeof(RamHandler))]
    [InlineData("block", typeof(BlockHandler))]
    [InlineData("dirty-bitmap", typeof(DirtyBitmapHandler))]
    [InlineData("spapr/htab", typeof(HtabHandler))]
    [InlineData("s390-storage_attributes", typeof(StorageAttributesHandler))]
    [InlineData("0000:00:02.0/vfio", typeof(OpaqueHandler))] // VFIO: kept opaque up to its footer
    [InlineData("RAM", typeof(OpaqueHandler))] // idstrs are compared as QEMU does, case and all
    public void Create_GivesTheHandlerOfTheIdstr(string idstr, Type expected) =>
        Assert.IsType(expected, IterativeHandlers.Create(idstr));

    [Fact]
    public void Create_GivesEachCallerItsOwnHandler() =>
        // Handlers keep state per reader (RAM's block list, htab's chunk phase): never shared between readers.
        Assert.NotSame(IterativeHandlers.Create("ram"), IterativeHandlers.Create("ram"));
}
