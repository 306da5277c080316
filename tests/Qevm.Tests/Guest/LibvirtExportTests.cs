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

    private const string DomainXml = """
        <domain type='qemu'>
          <name>qevmexport</name>
          <memory unit='MiB'>32</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
          <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
        </domain>
        """;

    private static string Virsh(params string[] args) => ProgramRunner.Check("virsh", ["-c", "qemu:///system", .. args]);

    [Fact]
    public void VirshSaveImage_ExportEqualsDumpGuestMemory()
    {
        libvirt.Start("raw");
        var xml = Path.Combine(libvirt.Folder, "export.xml");
        File.WriteAllText(xml, DomainXml);
        Virsh("create", xml);
        var elf = Path.Combine(libvirt.Folder, "domain.elf");
        var image = Path.Combine(libvirt.Folder, "export.img");
        try
        {
            Thread.Sleep(1500); // the firmware runs
            Virsh("suspend", Domain);
            // libvirt's memory-only dump is QEMU's dump-guest-memory with paging off, written through a file descriptor.
            Virsh("dump", "--memory-only", "--format", "elf", Domain, elf);
            Virsh("save", Domain, image);
        }
        finally
        {
            ProgramRunner.Run("virsh", "-c", "qemu:///system", "destroy", Domain);
        }
        ElfExportAssert.ExportEquals(libvirt.Folder, elf, image);
    }
}
