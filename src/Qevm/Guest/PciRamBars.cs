using System.Buffers.Binary;

namespace Qevm.Guest;

/// <summary>
/// RAM blocks of PCI devices that QEMU maps through a BAR (pci_update_mappings): a device's ROM through its ROM BAR
/// and a standard VGA's <c>vga.vram</c> through BAR 0, where the device's PCI configuration in the stream has them
/// enabled (command register memory space, ROM BAR enable bit) at an assigned address.
/// </summary>
internal static class PciRamBars
{
    private const byte CommandMemory = 0x02;

    /// <summary>Adds the mapped blocks of every device section whose blocks are named <c>DEVICE/…</c>.</summary>
    public static void Add(StateDump state, Dictionary<string, ulong> blocks, List<GuestRange> pieces, List<string> notes)
    {
        foreach (var s in state.Sections)
        {
            int slash = s.Header.Idstr.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0) continue;
            var device = s.Header.Idstr[..(slash + 1)];
            var owned = blocks.Where(b => b.Key.StartsWith(device, StringComparison.Ordinal)).ToList();
            if (owned.Count == 0 || Config(s) is not { } config) continue;
            bool memory = (config[4] & CommandMemory) != 0;
            foreach (var (name, length) in owned)
            {
                if (name.EndsWith(".rom", StringComparison.Ordinal))
                {
                    uint rom = BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(0x30));
                    ulong address = rom & ~0x7FFu;
                    if (memory && (rom & 1) != 0 && address != 0) pieces.Add(new(address, name, 0, length));
                }
                else if (name.EndsWith("/vga.vram", StringComparison.Ordinal))
                {
                    ulong address = Bar(config, 0);
                    if (memory && address != 0) pieces.Add(new(address, name, 0, length));
                }
                else
                {
                    notes.Add($"{name}: mapped through a BAR Qevm does not model; not in the layout");
                }
            }
        }
    }

    // A memory BAR's address, with the upper half of a 64-bit BAR.
    private static ulong Bar(byte[] config, int index)
    {
        int at = 0x10 + 4 * index;
        uint low = BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(at));
        if ((low & 1) != 0) return 0; // an I/O BAR
        ulong address = low & ~0xFu;
        if ((low & 0x6) == 0x4 && index < 5) address |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(at + 4)) << 32;
        return address;
    }

    // The 256-byte PCI configuration of a device section: VMSTATE_PCI_DEVICE is a struct member (parent_obj, dev, d).
    private static byte[]? Config(SectionState s)
    {
        if (s.Root is null) return null;
        foreach (var m in s.Root.Members)
        {
            if (m.Value is not VmStruct pci) continue;
            var v = pci["config"] ?? pci["config[0]"];
            byte[]? bytes = v switch
            {
                VmBytes b => b.Bytes,
                VmArray { Elements: [VmBytes b] } => b.Bytes,
                _ => null,
            };
            if (bytes is { Length: 256 }) return bytes;
        }
        return null;
    }
}
