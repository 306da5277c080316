using Qevm.Guest;

namespace Qevm.Tests.Guest;

/// <summary>DIMM addresses from libvirt domain XML: the migratable XML of a save image (no aliases) and a live one.</summary>
public sealed class DeviceMemoryTests
{
    [Fact]
    public void SavedXml_NamesTheBackendByModelAndSlot_LiveXml_ByAlias()
    {
        const string saved = """
            <domain type='qemu'><devices>
              <memory model='dimm'><target><size unit='KiB'>65536</size><node>0</node></target>
                <address type='dimm' slot='0' base='0x100000000'/></memory>
              <memory model='nvdimm'><target><size unit='KiB'>65536</size></target>
                <address type='dimm' slot='1' base='0x104000000'/></memory>
              <memory model='dimm'><target><size unit='KiB'>65536</size></target></memory>
            </devices></domain>
            """;
        Assert.Equal(new Dictionary<string, ulong> { ["memdimm0"] = 0x100000000, ["memnvdimm1"] = 0x104000000 }, DeviceMemory.FromLibvirtXml(saved));

        const string live = "<domain><devices><memory model='dimm'><alias name='dimm7'/><address type='dimm' slot='0' base='0x140000000'/></memory></devices></domain>";
        Assert.Equal(new Dictionary<string, ulong> { ["memdimm7"] = 0x140000000 }, DeviceMemory.FromLibvirtXml(live));
        Assert.Empty(DeviceMemory.FromLibvirtXml(""));
    }

    [Fact]
    public void MalformedXml_IsALayoutError()
    {
        var e = Assert.Throws<GuestLayoutException>(() => DeviceMemory.FromLibvirtXml("<domain><devices>"));
        Assert.StartsWith("the libvirt domain XML does not parse: ", e.Message, StringComparison.Ordinal);
    }
}
