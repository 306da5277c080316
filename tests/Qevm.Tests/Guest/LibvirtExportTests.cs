using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// <c>qevm export</c> of a <c>virsh save</c> image equals QEMU's <c>dump-guest-memory</c> of the same paused domain
/// (<c>virsh dump --memory-only</c>, which asks QEMU for it with paging off, just before the save).
/// </summary>
[Trait("Category", "Qemu")]
public sealed class LibvirtExportTests(LibvirtDaemons libvirt) : IClassFixture<LibvirtDaemons>
{
    private const string Domain = "qevmexport";

    [Fact]
    public void VirshSaveImage_ExportEqualsDumpGuestMemory()
    {
        libvirt.Start("raw");
        var xml = Path.Combine(libvirt.Folder, "export.xml");
        File.WriteAllText(xml, LibvirtDaemons.DomainXml(Domain, "pc-i440fx-7.2"));
        LibvirtDaemons.Virsh("create", xml);
        var elf = Path.Combine(libvirt.Folder, "domain.elf");
        var image = Path.Combine(libvirt.Folder, "export.img");
        try
        {
            Thread.Sleep(1500); // the firmware runs
            LibvirtDaemons.Virsh("suspend", Domain);
            // libvirt's memory-only dump is QEMU's dump-guest-memory with paging off, written through a file descriptor.
            LibvirtDaemons.Virsh("dump", "--memory-only", "--format", "elf", Domain, elf);
            LibvirtDaemons.Virsh("save", Domain, image);
        }
        finally
        {
            ProgramRunner.Run("virsh", "-c", "qemu:///system", "destroy", Domain);
        }
        ElfExportAssert.ExportEquals(libvirt.Folder, elf, image);
    }
}
