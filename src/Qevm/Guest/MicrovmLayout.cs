namespace Qevm.Guest;

/// <summary>
/// The guest-physical layout of an x86 <c>microvm</c> guest (hw/i386/microvm.c): the machine's RAM from 0 up to
/// 3 GiB and the rest from 4 GiB (<c>microvm_memory_init</c>), no legacy VGA window and no PAM: the BIOS's last
/// 128 KiB at most are aliased below 1 MiB over the RAM (x86_bios_rom_init's <c>isa-bios</c>), and the whole BIOS
/// ends at 4 GiB. Checked against QEMU 7.2's dump-guest-memory with 32 MiB and 3.5 GiB.
/// </summary>
internal static class MicrovmLayout
{
    private const ulong MaxBelow4G = 0xC0000000, MiB = 1 << 20, FourGiB = 1UL << 32, IsaBiosMax = 128 << 10;

    public static GuestPhysicalLayout Build(StateDump state, Dictionary<string, ulong> blocks)
    {
        var notes = new List<string>();
        var main = GuestPhysicalLayout.SoleRamBlock(blocks, "microvm.ram", _ => false, "which one is the guest's RAM");
        ulong size = blocks[main];
        ulong below = Math.Min(size, MaxBelow4G), above = size - below;
        blocks.TryGetValue("pc.bios", out ulong bios);
        ulong isa = Math.Min(bios, IsaBiosMax);
        var pieces = new List<GuestRange>();
        if (bios == 0) notes.Add("no pc.bios block: nothing is mapped below 1 MiB or 4 GiB for the firmware");
        ulong isaStart = MiB - isa;
        pieces.Add(new(0, main, 0, Math.Min(below, isaStart)));
        if (isa > 0) pieces.Add(new(isaStart, "pc.bios", bios - isa, isa));
        if (below > MiB) pieces.Add(new(MiB, main, MiB, below - MiB));
        if (above > 0) pieces.Add(new(FourGiB, main, below, above));
        PciRamBars.Add(state, blocks, pieces, notes);
        if (bios > 0) pieces.Add(new(FourGiB - bios, "pc.bios", 0, bios));
        pieces.Sort((a, b) => a.Address.CompareTo(b.Address));
        return new GuestPhysicalLayout(GuestMachine.Microvm, below, above, GuestPhysicalLayout.Join(pieces), notes);
    }
}
