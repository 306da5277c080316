using System.Globalization;
using Qevm.Codec;

namespace Qevm.Guest;

/// <summary>
/// Where QEMU maps x86 RAM above the split (<c>x86ms-&gt;above_4g_mem_start</c>, hw/i386/pc.c <c>pc_memory_init</c>):
/// 4 GiB, or 1 TiB when the first vCPU is AMD, the machine type enforces the AMD HyperTransport hole (7.1 and newer)
/// and the highest guest-physical address in use (<c>pc_max_used_gpa</c>: the end of the 64-bit PCI hole, which
/// follows the RAM above 4 GiB and the device-memory region of <c>maxmem</c>) reaches 0xFD00000000. The stream holds
/// neither the vendor nor <c>maxmem</c> (only the memory-hotplug slot count, in the ACPI <c>memhp</c> subsection):
/// the caller gives them (<see cref="GuestLayoutHints"/>). Assumed as QEMU's defaults: a 64-bit vCPU (phys-bits
/// above 32), the host bridge's default <c>pci-hole64-size</c>, no SGX EPC and no CXL.
/// </summary>
internal static class Above4GMemStart
{
    private const ulong GiB = 1UL << 30;
    internal const ulong FourGiB = 4 * GiB;

    /// <summary>QEMU's <c>AMD_HT_START</c>: the HyperTransport range reserved on AMD hosts with an IOMMU.</summary>
    internal const ulong AmdHtStart = 0xFD00000000;

    /// <summary>QEMU's <c>AMD_ABOVE_1TB_START</c>: where RAM above 4 GiB goes when it would reach the range.</summary>
    internal const ulong AmdAbove1TbStart = 0x10000000000;

    /// <summary>
    /// The start of RAM above 4 GiB. <paramref name="slots"/> is the stream's memory-hotplug slot count (null when it
    /// does not say); a note is added when QEMU may have moved the RAM but the hints do not say.
    /// </summary>
    /// <exception cref="GuestLayoutException">The hints contradict the stream, or only the vCPU vendor decides and it is not given.</exception>
    internal static ulong Of(string machineName, GuestMachine machine, ulong ramSize, ulong above, int? slots, GuestLayoutHints? hints, List<string> notes)
    {
        if (above == 0 || !EnforcesAmd1TbHole(machineName) || hints?.CpuVendor == X86CpuVendor.Intel) return FourGiB;
        if (hints?.RamSlots is { } givenSlots) slots = givenSlots;
        ulong? maxmem = hints?.MaxRamSize;
        if (maxmem is { } m)
        {
            if (m < ramSize)
                throw new GuestLayoutException(Invariant($"maxmem 0x{m:x} is below the guest's RAM (0x{ramSize:x} bytes)"));
            if (m > ramSize && slots is null)
                throw new GuestLayoutException("maxmem is above the RAM size but the stream does not say how many memory-hotplug slots the guest has: give them (--slots)");
            if (m > ramSize && slots == 0)
                throw new GuestLayoutException("maxmem is above the RAM size but the guest has no memory-hotplug slots (QEMU refuses that): maxmem is the RAM size");
        }
        else if (slots == 0)
        {
            maxmem = ramSize; // QEMU refuses maxmem above the RAM without slots
        }

        ulong hole64 = machine == GuestMachine.Q35 ? 32 * GiB : 2 * GiB; // Q35_ / I440FX_PCI_HOST_HOLE64_SIZE_DEFAULT
        if (maxmem is { } known)
        {
            if (MaxUsedGpa(above, known - ramSize, slots ?? 0, hole64) < AmdHtStart) return FourGiB;
            if (hints?.CpuVendor == X86CpuVendor.Amd) return AmdAbove1TbStart;
            throw new GuestLayoutException(Invariant($"QEMU maps RAM above 4 GiB at 1 TiB when the vCPU is AMD (the highest address in use, 0x{MaxUsedGpa(above, known - ramSize, slots ?? 0, hole64):x}, reaches the HyperTransport hole at 0x{AmdHtStart:x}): give the vCPU vendor (--cpu-vendor amd|intel)"));
        }
        // maxmem unknown: the RAM alone may reach the hole, then only the vendor decides.
        if (MaxUsedGpa(above, 0, 0, hole64) >= AmdHtStart)
        {
            if (hints?.CpuVendor == X86CpuVendor.Amd) return AmdAbove1TbStart;
            throw new GuestLayoutException(Invariant($"QEMU maps RAM above 4 GiB at 1 TiB when the vCPU is AMD (0x{above:x} bytes above 4 GiB reach the HyperTransport hole at 0x{AmdHtStart:x}): give the vCPU vendor (--cpu-vendor amd|intel)"));
        }
        if (slots > 0)
            notes.Add(Invariant($"RAM above 4 GiB is taken to start at 4 GiB: the guest has {slots} memory-hotplug slot{(slots == 1 ? "" : "s")}, and QEMU moves that RAM to 1 TiB for an AMD vCPU when maxmem reaches the HyperTransport hole at 0x{AmdHtStart:x}; give {(hints?.CpuVendor is null ? "--cpu-vendor and " : "")}--maxmem"));
        return FourGiB;
    }

    /// <summary>
    /// QEMU's <c>pc_max_used_gpa</c> with RAM above 4 GiB at 4 GiB: the end of the 64-bit PCI hole, which starts at
    /// the device-memory region's end when there is one (<c>pc_pci_hole64_start</c>), else at the RAM's end.
    /// </summary>
    internal static ulong MaxUsedGpa(ulong above, ulong hotplugSize, int slots, ulong pciHole64Size)
    {
        ulong start = RoundUpGiB(FourGiB + above);
        // pc_get_device_memory_range: maxmem - ram, and 1 GiB per slot (enforce_aligned_dimm, machine types from 2.2).
        if (hotplugSize > 0) start = RoundUpGiB(start + hotplugSize + (ulong)slots * GiB);
        return start + pciHole64Size - 1;
    }

    /// <summary>Whether the machine type sets <c>enforce_amd_1tb_hole</c>: pc-i440fx-7.1, pc-q35-7.1 and newer, and the aliases pc and q35.</summary>
    internal static bool EnforcesAmd1TbHole(string machineName)
    {
        var version = machineName.StartsWith("pc-i440fx-", StringComparison.Ordinal) ? machineName["pc-i440fx-".Length..]
            : machineName.StartsWith("pc-q35-", StringComparison.Ordinal) ? machineName["pc-q35-".Length..]
            : null;
        if (version is null) return true; // pc, q35: the newest
        var parts = version.Split('.');
        if (parts.Length < 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor))
            return true; // a downstream name (pc-q35-rhel9.2.0): taken as a current machine type
        return major > 7 || (major == 7 && minor >= 1);
    }

    /// <summary>
    /// The memory-hotplug slot count (<c>-m slots=</c>): the element count of the ACPI PM device's <c>memhp</c>
    /// subsection (one <c>devs</c> per slot, sent while memory hotplug is enabled); null when the stream does not say.
    /// </summary>
    internal static int? SlotsOf(StateDump state)
    {
        foreach (var s in state.Sections)
        {
            var id = s.Header.Idstr;
            if (s.Root is null || !(id.EndsWith("piix4_pm", StringComparison.Ordinal) || id.EndsWith("ICH9LPC", StringComparison.Ordinal))) continue;
            if (FindMemhp(s.Root) is not { } memhp) return null;
            var hotplug = memhp["acpi_memory_hotplug"] as VmStruct ?? memhp;
            // The trailer describes one element as a plain field and none by leaving the field out.
            return (hotplug["devs"] ?? hotplug["devs[0]"]) switch
            {
                null => 0,
                VmArray a => a.Elements.Count,
                _ => 1,
            };
        }
        return null;
    }

    private static VmStruct? FindMemhp(VmStruct node)
    {
        foreach (var (name, value) in node.Members)
        {
            if (value is not VmStruct child) continue;
            if (name.EndsWith("/memhp", StringComparison.Ordinal)) return child;
            if (FindMemhp(child) is { } found) return found;
        }
        return null;
    }

    private static ulong RoundUpGiB(ulong value) => (value + GiB - 1) & ~(GiB - 1);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
