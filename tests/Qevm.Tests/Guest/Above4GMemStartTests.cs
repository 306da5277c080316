using Qevm.Guest;
using Qevm.Tests.Cli;

namespace Qevm.Tests.Guest;

/// <summary>
/// QEMU's rule for where x86 RAM above 4 GiB starts (hw/i386/pc.c pc_memory_init, pc_max_used_gpa) at the sizes
/// around its threshold, the hints a libvirt domain XML gives, and the CLI options' usage errors. The rule itself is
/// checked against QEMU 7.2 by <see cref="QemuAmdHoleTests"/>.
/// </summary>
public sealed class Above4GMemStartTests
{
    private const ulong GiB = 1UL << 30;
    private static readonly GuestLayoutHints Amd = new() { CpuVendor = X86CpuVendor.Amd };

    [Fact]
    public void MaxUsedGpa_IsTheEndOfThe64BitPciHole()
    {
        // 512 MiB above 4 GiB, maxmem 1 TiB, 1 slot (the QEMU test's guest): device memory from 5 GiB, 1 TiB - 2.5 GiB
        // long, the hole from 1 TiB + 3 GiB, 2 GiB (i440fx's pci-hole64-size).
        Assert.Equal((1UL << 40) + 5 * GiB - 1, Above4GMemStart.MaxUsedGpa(GiB / 2, (1UL << 40) - 3 * GiB - GiB / 2, 1, 2 * GiB));
        Assert.Equal(7 * GiB - 1, Above4GMemStart.MaxUsedGpa(GiB / 2, 0, 0, 2 * GiB));
    }

    [Theory]
    // i440fx (2 GiB hole): RAM alone reaches 0xfd00000000 (1012 GiB) above 1006 GiB over 4 GiB; q35 (32 GiB) above 976 GiB.
    [InlineData("pc-i440fx-7.2", 1006 * GiB, 0x100000000UL)]
    [InlineData("pc-i440fx-7.2", 1006 * GiB + 4096, 0x10000000000UL)]
    [InlineData("pc-q35-7.2", 976 * GiB, 0x100000000UL)]
    [InlineData("pc-q35-7.2", 976 * GiB + 4096, 0x10000000000UL)]
    [InlineData("pc-q35-7.0", 2000 * GiB, 0x100000000UL)]
    public void RamAlone_NoSlots(string machine, ulong above, ulong expected)
    {
        var notes = new List<string>();
        Assert.Equal(expected, Above4GMemStart.Of(machine, machine.Contains("q35", StringComparison.Ordinal) ? GuestMachine.Q35 : GuestMachine.I440fx,
            3 * GiB + above, above, 0, Amd, notes));
        Assert.Empty(notes);
    }

    [Theory]
    // 3.5 GiB (512 MiB above 4 GiB), 1 slot: the hole ends past 0xfd00000000 once maxmem is above 1007.5 GiB.
    [InlineData(1007 * GiB + GiB / 2, 0x100000000UL)]
    [InlineData(1007 * GiB + GiB / 2 + 4096, 0x10000000000UL)]
    [InlineData(1UL << 40, 0x10000000000UL)]
    public void Maxmem_AroundTheThreshold(ulong maxmem, ulong expected)
    {
        var notes = new List<string>();
        Assert.Equal(expected, Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, 1, Amd with { MaxRamSize = maxmem }, notes));
        Assert.Empty(notes);
        // An Intel vCPU, or a 7.0 machine type, keeps 4 GiB.
        Assert.Equal(0x100000000UL, Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, 1, new() { CpuVendor = X86CpuVendor.Intel, MaxRamSize = maxmem }, notes));
        Assert.Equal(0x100000000UL, Above4GMemStart.Of("pc-i440fx-7.0", GuestMachine.I440fx, 3584UL << 20, GiB / 2, 1, Amd with { MaxRamSize = maxmem }, notes));
        Assert.Empty(notes);
    }

    [Fact]
    public void MissingHints_RefuseOnlyWhereTheVendorDecides_NoteWhereMaxmemMight()
    {
        var notes = new List<string>();
        // The RAM alone reaches the hole: only the vendor decides.
        var e = Assert.Throws<GuestLayoutException>(() => Above4GMemStart.Of("pc-q35-7.2", GuestMachine.Q35, 979 * GiB, 977 * GiB, null, null, notes));
        Assert.EndsWith("give the vCPU vendor (--cpu-vendor amd|intel)", e.Message, StringComparison.Ordinal);
        Assert.Throws<GuestLayoutException>(() => Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, 1, new() { MaxRamSize = 1UL << 40 }, notes));
        // Slots in the stream: maxmem could reach it.
        Assert.Equal(0x100000000UL, Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, 2, null, notes));
        Assert.Equal("RAM above 4 GiB is taken to start at 4 GiB: the guest has 2 memory-hotplug slots, and QEMU moves that RAM to 1 TiB for an AMD vCPU when maxmem reaches the HyperTransport hole at 0xfd00000000; give --cpu-vendor and --maxmem", Assert.Single(notes));
        notes.Clear();
        // No slots (or the stream does not say): maxmem is the RAM, which does not reach it; no note.
        Assert.Equal(0x100000000UL, Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, 0, null, notes));
        Assert.Equal(0x100000000UL, Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, null, null, notes));
        Assert.Empty(notes);
    }

    [Fact]
    public void HintsThatContradictTheStream_AreLayoutErrors()
    {
        var notes = new List<string>();
        Assert.Contains("below the guest's RAM", Assert.Throws<GuestLayoutException>(() =>
            Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, 1, Amd with { MaxRamSize = 3 * GiB }, notes)).Message, StringComparison.Ordinal);
        Assert.Contains("no memory-hotplug slots", Assert.Throws<GuestLayoutException>(() =>
            Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, 0, Amd with { MaxRamSize = 1UL << 40 }, notes)).Message, StringComparison.Ordinal);
        Assert.Contains("(--slots)", Assert.Throws<GuestLayoutException>(() =>
            Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, null, Amd with { MaxRamSize = 1UL << 40 }, notes)).Message, StringComparison.Ordinal);
        // --slots stands in for the stream's count.
        Assert.Equal(0x10000000000UL, Above4GMemStart.Of("pc-i440fx-7.2", GuestMachine.I440fx, 3584UL << 20, GiB / 2, null, Amd with { MaxRamSize = 1UL << 40, RamSlots = 1 }, notes));
    }

    [Theory]
    [InlineData("pc-i440fx-7.1", true)]
    [InlineData("pc-q35-7.2", true)]
    [InlineData("pc-q35-10.0", true)]
    [InlineData("pc", true)]
    [InlineData("q35", true)]
    [InlineData("pc-i440fx-7.0", false)]
    [InlineData("pc-q35-2.12", false)]
    public void EnforcesAmd1TbHole_From71(string machine, bool expected) => Assert.Equal(expected, Above4GMemStart.EnforcesAmd1TbHole(machine));

    [Fact]
    public void LibvirtXml_MaxMemoryAndVendor()
    {
        var h = GuestLayoutHints.FromLibvirtXml("""
            <domain type='kvm'><maxMemory slots='16' unit='KiB'>1073741824</maxMemory><memory unit='KiB'>3670016</memory>
              <cpu mode='custom' match='exact'><model fallback='forbid'>EPYC-Rome</model><vendor>AMD</vendor></cpu></domain>
            """);
        Assert.Equal((X86CpuVendor?)X86CpuVendor.Amd, h.CpuVendor);
        Assert.Equal(1UL << 40, h.MaxRamSize);
        Assert.Equal(16, h.RamSlots);
        Assert.Empty(h.DeviceMemory!);
        h = GuestLayoutHints.FromLibvirtXml("<domain><maxMemory slots='2' unit='G'>64</maxMemory><cpu><model vendor_id='GenuineIntel'>qemu64</model><vendor>AMD</vendor></cpu></domain>");
        Assert.Equal((X86CpuVendor?)X86CpuVendor.Intel, h.CpuVendor); // vendor_id is what QEMU is given
        Assert.Equal(64 * GiB, h.MaxRamSize);
        h = GuestLayoutHints.FromLibvirtXml("<domain><memory unit='KiB'>65536</memory></domain>");
        Assert.Null(h.CpuVendor);
        Assert.Null(h.MaxRamSize);
        Assert.Null(h.RamSlots);
    }

    [Theory]
    [InlineData("1T", 1UL << 40)]
    [InlineData("512G", 512 * GiB)]
    [InlineData("4096M", 4 * GiB)]
    [InlineData("1.5g", 3 * GiB / 2)]
    [InlineData("0x1000", 4096UL)]
    [InlineData("65536", 65536UL)]
    [InlineData("64k", 65536UL)]
    [InlineData("15E", 15UL << 60)]
    public void ParseSize_QemuSuffixes(string text, ulong expected) => Assert.Equal(expected, GuestLayoutHints.ParseSize(text, "--maxmem"));

    [Theory]
    [InlineData("--cpu-vendor", "arm", "qevm: --cpu-vendor 'arm': expected amd or intel")]
    [InlineData("--maxmem", "1Q", "qevm: --maxmem '1Q': expected a size (bytes, or a number with K, M, G, T, P or E: 1T, 512G, 4096M)")]
    [InlineData("--maxmem", "1.5", "qevm: --maxmem '1.5': expected a size (bytes, or a number with K, M, G, T, P or E: 1T, 512G, 4096M)")]
    [InlineData("--maxmem", "16E", "qevm: --maxmem '16E': expected a size (bytes, or a number with K, M, G, T, P or E: 1T, 512G, 4096M)")]
    // Beyond decimal's range once scaled: was an OverflowException with a stack trace.
    [InlineData("--maxmem", "99999999999999999999999999E", "qevm: --maxmem '99999999999999999999999999E': expected a size (bytes, or a number with K, M, G, T, P or E: 1T, 512G, 4096M)")]
    [InlineData("--slots", "-1", "qevm: --slots -1: expected a count (0 or more)")]
    public void BadOptions_AreUsageErrors_OneLine(string option, string value, string message)
    {
        var file = Path.GetTempFileName();
        try
        {
            foreach (var args in (string[][])[["memory", "map", file], ["memory", "read", file, "0", "16"], ["export", file, "-o", file + ".elf", "--format", "elf"]])
            {
                var (code, _, err) = QevmCli.Run([.. args, option, value]);
                Assert.Equal(2, code);
                Assert.Equal(message, err.TrimEnd('\n'));
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
