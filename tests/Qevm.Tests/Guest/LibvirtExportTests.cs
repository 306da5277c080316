using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// <c>qevm export</c> of a <c>virsh save</c> image equals QEMU's <c>dump-guest-memory</c> of the same paused domain
/// (<c>virsh dump --memory-only</c>, which asks QEMU for it with paging off, just before the save).
/// </summary>
[Trait("Category", "Qemu")]
[Collection(LibvirtCollection.Name)]
public sealed class LibvirtExportTests(LibvirtDaemons libvirt) : IClassFixture<LibvirtDaemons>
{
    private const string Domain = "qevmexport";

    [Fact]
    public void VirshSaveImage_ExportEqualsDumpGuestMemory()
    {
        var (elf, image) = DumpAndSave(Domain, LibvirtDaemons.DomainXml(Domain, "pc-i440fx-7.2"));
        ElfExportAssert.ExportEquals(libvirt.Folder, elf, image);
    }

    // Starts the domain, lets its firmware run, suspends it, then writes libvirt's memory-only dump (QEMU's
    // dump-guest-memory with paging off, through a file descriptor) and a virsh save image of it.
    private (string Elf, string Image) DumpAndSave(string name, string domainXml)
    {
        libvirt.Start("raw");
        var xml = Path.Combine(libvirt.Folder, name + ".xml");
        File.WriteAllText(xml, domainXml);
        LibvirtDaemons.Virsh("create", xml);
        var elf = Path.Combine(libvirt.Folder, name + ".elf");
        var image = Path.Combine(libvirt.Folder, name + ".img");
        try
        {
            Thread.Sleep(1500); // the firmware runs
            LibvirtDaemons.Virsh("suspend", name);
            LibvirtDaemons.Virsh("dump", "--memory-only", "--format", "elf", name, elf);
            LibvirtDaemons.Virsh("save", name, image);
        }
        finally
        {
            ProgramRunner.Run("virsh", "-c", "qemu:///system", "destroy", name);
        }
        return (elf, image);
    }

    [Fact]
    public void VirshSaveImageWithADimm_TheDomainXmlPlacesIt_ExportEqualsDumpGuestMemory()
    {
        // Memory hot-plug needs a NUMA cell, ACPI and maxMemory; the DIMM's backend is the RAM block memdimm0, whose
        // address (QEMU's device-memory region, 4 GiB here) only the domain XML in the image records.
        const string name = "qevmdimm";
        var (elf, image) = DumpAndSave(name, $"""
            <domain type='qemu'>
              <name>{name}</name>
              <maxMemory slots='2' unit='MiB'>256</maxMemory>
              <memory unit='MiB'>96</memory>
              <vcpu>1</vcpu>
              <cpu><numa><cell id='0' cpus='0' memory='32' unit='MiB'/></numa></cpu>
              <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
              <features><acpi/></features>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <memory model='dimm'><target><size unit='MiB'>64</size><node>0</node></target></memory>
              </devices>
            </domain>
            """);
        var (code, map, err) = global::Qevm.Tests.Cli.QevmCli.Run("memory", "map", image);
        Assert.True(code == 0, err);
        Assert.Contains("0x0000000100000000-0x0000000103ffffff  memdimm0+0x0  (0x4000000 bytes)", map, StringComparison.Ordinal);
        ElfExportAssert.ExportEquals(libvirt.Folder, elf, image);
        Assert.Equal(0x100000000UL, ElfCoreFile.Read(elf).ProgramHeaders[^1].PhysicalAddress);
    }
}
