namespace Qevm.Guest;

/// <summary>
/// The guest-physical layout of an aarch64 <c>virt</c> guest (hw/arm/virt.c): the machine's RAM block in one piece
/// at 0x40000000 (<c>VIRT_MEM</c>), and RAM of PCI devices mapped through a BAR. The flash devices are ROM devices,
/// not RAM, and <c>dump-guest-memory</c> leaves them out; the fw_cfg blobs (<c>/rom@etc/…</c>) are not mapped.
/// </summary>
internal static class ArmVirtLayout
{
    private const ulong RamBase = 0x40000000, FourGiB = 1UL << 32;

    public static GuestPhysicalLayout Build(StateDump state, Dictionary<string, ulong> blocks)
    {
        var notes = new List<string>();
        var main = GuestPhysicalLayout.SoleRamBlock(blocks, "mach-virt.ram",
            k => k.StartsWith("virt.", StringComparison.Ordinal) || k.StartsWith("mach-virt.", StringComparison.Ordinal), "which one is at 0x40000000");
        ulong size = blocks[main];
        var pieces = new List<GuestRange> { new(RamBase, main, 0, size) };
        PciRamBars.Add(state, blocks, pieces, notes);
        if (blocks.ContainsKey("virt.secure-ram")) notes.Add("virt.secure-ram is in the secure address space only, which dump-guest-memory does not write: not in the layout");
        pieces.Sort((a, b) => a.Address.CompareTo(b.Address));
        ulong below = Math.Min(size, FourGiB - RamBase);
        return new GuestPhysicalLayout(GuestMachine.ArmVirt, below, size - below, GuestPhysicalLayout.Join(pieces), notes);
    }
}
