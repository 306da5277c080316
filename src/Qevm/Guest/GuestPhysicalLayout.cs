using System.Globalization;

namespace Qevm.Guest;

/// <summary>
/// Where each RAM block of an x86 <c>pc</c> (i440fx) or <c>q35</c> guest, or an aarch64 <c>virt</c> guest
/// (<see cref="ArmVirtLayout"/>), appears in guest-physical memory, as
/// QEMU's flat memory view maps it and <c>dump-guest-memory</c> lists it: sorted ranges, neighbours of one block
/// with contiguous offsets joined (QEMU's <c>guest_phys_block_add_section</c>). Built from what the stream
/// holds: the RAM block list, the machine type, the RTC's CMOS bytes, the host bridge's PCI configuration and the
/// PCI devices' BARs for their RAM blocks; and, where the stream does not say, from the caller's
/// <see cref="GuestLayoutHints"/> (DIMM addresses; the vCPU vendor and maxmem for <see cref="Above4GMemStart"/>).
/// </summary>
public sealed class GuestPhysicalLayout
{
    private const ulong KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
    private const ulong FourGiB = 4 * GiB;

    internal GuestPhysicalLayout(GuestMachine machine, ulong below4G, ulong above4G, List<GuestRange> ranges, List<string> notes)
    {
        Machine = machine;
        Below4G = below4G;
        Above4G = above4G;
        Ranges = ranges;
        Notes = notes;
    }

    /// <summary>The machine type's kind.</summary>
    public GuestMachine Machine { get; }

    /// <summary>RAM below 4 GiB (QEMU's <c>below_4g_mem_size</c>), from CMOS; for <c>virt</c>, the machine RAM below 4 GiB.</summary>
    public ulong Below4G { get; }

    /// <summary>RAM from 4 GiB up (QEMU's <c>above_4g_mem_size</c>), from CMOS; for <c>virt</c>, the machine RAM from 4 GiB up.</summary>
    public ulong Above4G { get; }

    /// <summary>The ranges, by address.</summary>
    public IReadOnlyList<GuestRange> Ranges { get; }

    /// <summary>What the layout assumes where the stream does not say (each one line).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Reads a stream whole (RAM pages are skipped) and builds its layout.</summary>
    /// <exception cref="GuestLayoutException">The stream does not give the layout.</exception>
    public static GuestPhysicalLayout Read(System.IO.Stream input, IReadOnlyList<ISchemaSource>? schemas = null) =>
        FromState(StateDump.Read(input, schemas));

    /// <summary>Builds the layout of a decoded stream.</summary>
    /// <param name="state">The decoded stream.</param>
    /// <param name="hints">What the stream does not hold (its <see cref="GuestLayoutHints.Ranges"/> aside): the
    /// guest-physical addresses of device-memory blocks (DIMMs), and the vCPU vendor and maxmem that decide where x86
    /// RAM above 4 GiB starts (<see cref="GuestLayoutHints.FromLibvirtXml"/> reads them from a libvirt domain XML).</param>
    /// <exception cref="GuestLayoutException">The stream does not give the layout.</exception>
    public static GuestPhysicalLayout FromState(StateDump state, GuestLayoutHints? hints = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var deviceMemory = hints?.DeviceMemory;
        if (state.Info.Configuration is null && (state.Info.Ram?.Blocks ?? []).Count == 0)
            throw new GuestLayoutException("a device-state file (xen-save-devices-state) holds no RAM: read the guest's memory from a migration stream (migrate to a file), a `virsh save` image or a qcow2 snapshot (savevm) of the guest");
        var machineName = state.Info.Configuration?.Machine
            ?? throw new GuestLayoutException("the stream has no configuration section, so no machine type: the guest-physical layout cannot be known");
        var machine = MachineOf(machineName);
        var blocks = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var dimms = new List<GuestRange>();
        foreach (var b in state.Info.Ram?.Blocks ?? [])
        {
            // Device memory is not the machine's RAM: it is placed where the caller says, not taken for a NUMA node.
            if (deviceMemory is not null && deviceMemory.TryGetValue(b.Name, out ulong at)) dimms.Add(new(at, b.Name, 0, b.UsedLength));
            else blocks[b.Name] = b.UsedLength;
        }
        if (blocks.Count == 0) throw new GuestLayoutException("the stream carries no RAM blocks (a device-state file?): there is no guest memory to lay out");
        if (machine == GuestMachine.ArmVirt) return ArmVirtLayout.Build(state, blocks);
        if (machine == GuestMachine.Microvm) return MicrovmLayout.Build(state, blocks);

        var cmos = Bytes(Find(state, s => s == "mc146818rtc"), "cmos_data", 128)
            ?? throw new GuestLayoutException("no decoded mc146818rtc section with cmos_data: the RAM split below 4 GiB cannot be known");
        ulong below = Below4GFromCmos(cmos);
        ulong above = (cmos[0x5B] | (ulong)cmos[0x5C] << 8 | (ulong)cmos[0x5D] << 16) * 64 * KiB;
        ulong ramSize = below + above;
        var notes = new List<string>();

        // NUMA: each node's memory backend is a block, and QEMU's machine RAM is their concatenation.
        var nodes = NumaNodes(state, blocks, ramSize);
        var main = nodes is null ? MainBlock(blocks, ramSize) : NodesToken;
        if (nodes is not null)
            notes.Add($"NUMA: the machine's RAM is the blocks {string.Join(", ", nodes.Select(n => n.Name))} in the stream's order (the stream does not record which node each backs)");
        // The machine's own rule (pc_piix.c / pc_q35.c, gigabyte_align): a split that differs comes from
        // max-ram-below-4g, which the stream does not carry; CMOS is what QEMU itself used.
        ulong threshold = machine == GuestMachine.Q35 ? 0xB0000000 : 0xE0000000;
        ulong split = machine == GuestMachine.Q35 ? 0x80000000 : 0xC0000000;
        ulong ruleBelow = ramSize >= threshold ? split : ramSize;
        if (ruleBelow != below)
            notes.Add(Invariant($"CMOS puts 0x{below:x} bytes below 4 GiB where the machine's rule gives 0x{ruleBelow:x} (max-ram-below-4g); CMOS is used"));

        var bridgeName = machine == GuestMachine.Q35 ? "mch" : "I440FX";
        var config = Bytes(Find(state, s => s == bridgeName || s.EndsWith("/" + bridgeName, StringComparison.Ordinal)), "parent_obj/config", 256)
            ?? throw new GuestLayoutException($"no decoded {bridgeName} section with its PCI configuration: the PAM and SMRAM mappings cannot be known");

        var pieces = new List<GuestRange>();
        Legacy(machine, config, state, blocks, main, pieces, notes);

        // RAM from 1 MiB to the split, less Q35's TSEG (a black hole outside SMM).
        ulong tseg = machine == GuestMachine.Q35 ? Tseg(config) : 0;
        if (below > MiB + tseg) pieces.Add(new(MiB, main, MiB, below - MiB - tseg));
        if (above > 0) pieces.Add(new(Above4GMemStart.Of(machineName, machine, ramSize, above, Above4GMemStart.SlotsOf(state), hints, notes), main, below, above));
        PciRamBars.Add(state, blocks, pieces, notes);
        if (blocks.TryGetValue("pc.bios", out ulong bios) && bios > 0) pieces.Add(new(FourGiB - bios, "pc.bios", 0, bios));
        else notes.Add("no pc.bios block: nothing is mapped below 4 GiB for the firmware");

        if (nodes is not null) pieces = SplitByNode(pieces, nodes);
        // A RAM block the machine does not map is device memory (pc-dimm, nvdimm, virtio-mem) placed where the stream
        // does not say: leaving it out would give a core without that memory.
        pieces.AddRange(dimms);
        if (dimms.Count > 0) notes.Add($"device memory placed as the libvirt domain XML says: {string.Join(", ", dimms.Select(d => Invariant($"{d.Block} at 0x{d.Address:x}")))}");
        foreach (var b in state.Info.Ram?.Blocks ?? [])
        {
            if (!IsRom(b.Name) && !b.Name.Contains('/', StringComparison.Ordinal) && !pieces.Any(p => p.Block == b.Name))
                throw new GuestLayoutException(Invariant($"RAM block '{b.Name}' (0x{b.UsedLength:x} bytes) is not part of the machine's RAM: hot-plugged memory (a pc-dimm, nvdimm or virtio-mem device) whose guest-physical address the stream does not hold; give the ranges in a layout file (--layout)"));
        }
        pieces.Sort((a, b) => a.Address.CompareTo(b.Address));
        return new GuestPhysicalLayout(machine, below, above, Join(pieces), notes);
    }

    /// <summary>
    /// The layout given by the user for what the stream cannot tell (hot-plugged DIMMs, another machine type): the
    /// ranges as they are, checked against the stream's RAM blocks. <see cref="Machine"/> is the stream's chipset when
    /// known (else i440fx), <see cref="Below4G"/> and <see cref="Above4G"/> are 0.
    /// </summary>
    /// <exception cref="GuestLayoutException">A range names no block of the stream, lies outside its block, or overlaps another.</exception>
    public static GuestPhysicalLayout FromRanges(StateDump state, IEnumerable<GuestRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(ranges);
        var blocks = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var b in state.Info.Ram?.Blocks ?? []) blocks[b.Name] = b.UsedLength;
        var sorted = ranges.OrderBy(r => r.Address).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            var r = sorted[i];
            if (!blocks.TryGetValue(r.Block, out ulong length))
                throw new GuestLayoutException($"layout: the stream has no RAM block '{r.Block}'");
            if (r.Length == 0 || r.BlockOffset + r.Length > length || r.BlockOffset + r.Length < r.BlockOffset || r.End < r.Address)
                throw new GuestLayoutException(Invariant($"layout: range 0x{r.Address:x} (0x{r.Length:x} bytes of '{r.Block}' from 0x{r.BlockOffset:x}) lies outside the block (0x{length:x} bytes)"));
            if (i > 0 && sorted[i - 1].End > r.Address)
                throw new GuestLayoutException(Invariant($"layout: range 0x{r.Address:x} overlaps the range at 0x{sorted[i - 1].Address:x}"));
        }
        var name = state.Info.Configuration?.Machine ?? "";
        var machine = name.StartsWith("pc-q35-", StringComparison.Ordinal) || name == "q35" ? GuestMachine.Q35 : GuestMachine.I440fx;
        return new GuestPhysicalLayout(machine, 0, 0, sorted, ["the layout is the one given, not taken from the stream"]);
    }

    /// <summary>
    /// Reads ranges from JSON: <c>memory map --json</c>'s document (its <c>ranges</c>), or an array of such ranges,
    /// each <c>{"address": N, "length": N, "block": "NAME", "offset": N}</c> (offset 0 when left out).
    /// </summary>
    /// <exception cref="VmStateFormatException">The JSON is not that (its path and what was expected).</exception>
    public static IReadOnlyList<GuestRange> ParseRanges(System.IO.Stream json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var bytes = new MemoryStream();
        json.CopyTo(bytes);
        using var doc = JsonCursor.Parse(bytes.ToArray(), VmStateError.BadDocument, "a layout: memory map --json's document or an array of ranges");
        var root = JsonCursor.Root(doc, VmStateError.BadDocument);
        var array = root.Kind == System.Text.Json.JsonValueKind.Object && root.TryGet("ranges", out var r) ? r : root;
        array.ExpectKind(System.Text.Json.JsonValueKind.Array, "an array of ranges or an object with \"ranges\"");
        return [.. array.Items().Select(e => new GuestRange(e.Required("address").UInt64(), e.Required("block", "a RAM block's name").String(),
            e.TryGet("offset", out var offset) ? offset.UInt64() : 0, e.Required("length").UInt64()))];
    }

    // The given ranges when the user gave a layout, else the stream's with the device memory the hints place.
    internal static GuestPhysicalLayout Of(StateDump state, GuestLayoutHints? hints) =>
        hints?.Ranges is { } given ? FromRanges(state, given) : FromState(state, hints);

    private static GuestMachine MachineOf(string name)
    {
        if (name.StartsWith("pc-q35-", StringComparison.Ordinal) || name == "q35") return GuestMachine.Q35;
        if (name.StartsWith("pc-i440fx-", StringComparison.Ordinal) || name == "pc") return GuestMachine.I440fx;
        if (name.StartsWith("virt-", StringComparison.Ordinal) || name == "virt") return GuestMachine.ArmVirt;
        if (name == "microvm") return GuestMachine.Microvm;
        throw new GuestLayoutException($"machine type '{name}': its guest-physical layout is not known (only x86 pc-i440fx-*, pc-q35-* and microvm, aarch64 virt-*)");
    }

    // pc_cmos_init: 0x34-0x35 count 64 KiB above 16 MiB; below 16 MiB they are 0 and 0x30-0x31 count KiB above
    // 1 MiB; below 1 MiB only 0x15-0x16 (KiB, at most 640) say it.
    private static ulong Below4GFromCmos(byte[] cmos)
    {
        ulong over16 = cmos[0x34] | (ulong)cmos[0x35] << 8;
        if (over16 > 0) return 16 * MiB + over16 * 64 * KiB;
        ulong over1 = cmos[0x30] | (ulong)cmos[0x31] << 8;
        if (over1 > 0) return MiB + over1 * KiB;
        return (cmos[0x15] | (ulong)cmos[0x16] << 8) * KiB;
    }

    // The block that holds the machine's RAM: pc.ram, or a memory backend's block (named by its id) of that size.
    private static string MainBlock(Dictionary<string, ulong> blocks, ulong ramSize)
    {
        if (blocks.TryGetValue("pc.ram", out ulong pcRam))
        {
            if (pcRam != ramSize)
                throw new GuestLayoutException(Invariant($"CMOS gives 0x{ramSize:x} bytes of RAM but pc.ram holds 0x{pcRam:x}: the split cannot be known (NUMA or hot-plugged memory?)"));
            return "pc.ram";
        }
        var fits = blocks.Where(b => b.Value == ramSize && !IsRom(b.Key)).Select(b => b.Key).ToList();
        if (fits.Count == 1) return fits[0];
        throw new GuestLayoutException(Invariant($"no pc.ram block and {fits.Count} blocks of the 0x{ramSize:x} bytes CMOS gives: which block is the guest's RAM cannot be known (NUMA ram-node blocks are not modelled)"));
    }

    // A machine whose RAM is one block: its default id, or else the one block of a memory backend
    // (-machine memory-backend=ID) among those that are neither ROM, nor a device's (a path), nor the machine's own others.
    internal static string SoleRamBlock(Dictionary<string, ulong> blocks, string defaultId, Func<string, bool> machineOwn, string which)
    {
        if (blocks.ContainsKey(defaultId)) return defaultId;
        var fits = blocks.Keys.Where(k => !IsRom(k) && !machineOwn(k) && !k.Contains('/', StringComparison.Ordinal)).ToList();
        if (fits.Count == 1) return fits[0];
        throw new GuestLayoutException(Invariant($"no {defaultId} block and {fits.Count} blocks that may be the machine's RAM: {which} cannot be known (NUMA nodes and hot-plugged memory are not modelled)"));
    }

    // Stands for the machine's RAM while the ranges are built, when it is made of NUMA node blocks.
    private const string NodesToken = "\0numa";

    // Without pc.ram or one block of the RAM size: the other non-ROM, non-device blocks, in the stream's order
    // (ram_list keeps blocks of equal size in creation order), when their sizes add up to the RAM size.
    private static List<(string Name, ulong Length)>? NumaNodes(StateDump state, Dictionary<string, ulong> blocks, ulong ramSize)
    {
        if (blocks.ContainsKey("pc.ram") || blocks.Any(b => b.Value == ramSize && !IsRom(b.Key))) return null;
        var candidates = (state.Info.Ram?.Blocks ?? []).Where(b => blocks.ContainsKey(b.Name) && !IsRom(b.Name) && !b.Name.Contains('/', StringComparison.Ordinal))
            .Select(b => (b.Name, b.UsedLength)).ToList();
        if (candidates.Count < 2) return null;
        ulong sum = 0;
        foreach (var c in candidates) sum += c.UsedLength;
        return sum == ramSize ? candidates : null;
    }

    // Replaces each piece of the machine's RAM by the pieces of the node blocks its offsets fall in.
    private static List<GuestRange> SplitByNode(List<GuestRange> pieces, List<(string Name, ulong Length)> nodes)
    {
        var result = new List<GuestRange>();
        foreach (var p in pieces)
        {
            if (p.Block != NodesToken)
            {
                result.Add(p);
                continue;
            }
            ulong nodeStart = 0;
            foreach (var (name, length) in nodes)
            {
                ulong from = Math.Max(p.BlockOffset, nodeStart), to = Math.Min(p.BlockOffset + p.Length, nodeStart + length);
                if (from < to) result.Add(new GuestRange(p.Address + (from - p.BlockOffset), name, from - nodeStart, to - from));
                nodeStart += length;
            }
        }
        return result;
    }

    internal static bool IsRom(string name) => name.StartsWith("pc.", StringComparison.Ordinal) || name.StartsWith("/rom@", StringComparison.Ordinal) || name.EndsWith(".rom", StringComparison.Ordinal) || name.Contains("vram", StringComparison.Ordinal);

    // 0-0xFFFFF: RAM to 0xA0000; the SMRAM window 0xA0000-0xBFFFF; 13 PAM segments 0xC0000-0xFFFFF.
    private static void Legacy(GuestMachine machine, byte[] config, StateDump state, Dictionary<string, ulong> blocks, string main,
        List<GuestRange> pieces, List<string> notes)
    {
        pieces.Add(new(0, main, 0, 0xA0000));
        const byte DOpen = 0x40, HSmrame = 0x80;
        byte smram = config[machine == GuestMachine.Q35 ? 0x9D : 0x72];
        bool pciWindow = machine == GuestMachine.Q35
            ? (smram & DOpen) == 0 || (config[0x9E] & HSmrame) != 0
            : (smram & DOpen) == 0;
        // The window shows PCI memory there: a VGA's legacy window (MMIO, not in a dump), or nothing, and
        // then the RAM beneath shows through.
        if (!pciWindow || !HasVga(state, blocks)) pieces.Add(new(0xA0000, main, 0xA0000, 0x20000));
        else notes.Add("0xA0000-0xBFFFF is the VGA's MMIO window (no RAM)");
        if (machine == GuestMachine.Q35 && (smram & DOpen) != 0 && (config[0x9E] & HSmrame) != 0)
            pieces.Add(new(0xFEDA0000, main, 0xA0000, 0x20000)); // open_high_smram

        // pam.c: attribute 0 maps PCI memory (the ROMs), 1-3 map RAM. Segment 0 is 0xF0000-0xFFFFF (PAM0's high
        // nibble); segment i (1-12) is 16 KiB at 0xC0000 + (i-1)*16 KiB, in PAM0+(i+1)/2, high nibble when i is even.
        int pam = machine == GuestMachine.Q35 ? 0x90 : 0x59;
        blocks.TryGetValue("pc.bios", out ulong bios);
        ulong isaBios = Math.Min(bios, 128 * KiB);
        bool hasRom = blocks.TryGetValue("pc.rom", out ulong rom);
        for (int i = 1; i <= 13; i++)
        {
            int segment = i == 13 ? 0 : i;
            ulong start = segment == 0 ? 0xF0000 : 0xC0000 + (ulong)(segment - 1) * 16 * KiB;
            ulong size = segment == 0 ? 64 * KiB : 16 * KiB;
            int attr = (config[pam + (segment + 1) / 2] >> ((segment & 1) == 0 ? 4 : 0)) & 3;
            if (attr != 0)
            {
                pieces.Add(new(start, main, start, size));
            }
            else if (start < 0xE0000)
            {
                // pc.rom (option ROMs) at 0xC0000 in PCI memory.
                if (hasRom && start - 0xC0000 + size <= rom) pieces.Add(new(start, "pc.rom", start - 0xC0000, size));
            }
            else if (start >= 0x100000 - isaBios)
            {
                // isa-bios: the last 128 KiB of pc.bios aliased below 1 MiB.
                pieces.Add(new(start, "pc.bios", bios - (0x100000 - start), size));
            }
        }
    }

    private static bool HasVga(StateDump state, Dictionary<string, ulong> blocks)
    {
        foreach (var s in state.Sections)
        {
            var id = s.Header.Idstr;
            if (id.Contains("vga", StringComparison.OrdinalIgnoreCase) || id.Contains("qxl", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return blocks.Keys.Any(k => k.Contains("vga", StringComparison.OrdinalIgnoreCase) || k.Contains("qxl", StringComparison.OrdinalIgnoreCase));
    }

    // mch_update_smram: TSEG is a black hole at the top of RAM below 4 GiB when ESMRAMC.T_EN and SMRAM.G_SMRAME.
    private static ulong Tseg(byte[] config)
    {
        byte esmramc = config[0x9E];
        if ((esmramc & 0x01) == 0 || (config[0x9D] & 0x08) == 0) return 0;
        return (esmramc & 0x06) switch
        {
            0x00 => MiB,
            0x02 => 2 * MiB,
            0x04 => 8 * MiB,
            _ => throw new GuestLayoutException("Q35 TSEG uses the extended size (mch ext_tseg_mbytes), which the stream does not carry: the top of RAM below 4 GiB cannot be known"),
        };
    }

    internal static List<GuestRange> Join(List<GuestRange> pieces)
    {
        var joined = new List<GuestRange>();
        foreach (var p in pieces)
        {
            if (joined.Count > 0 && joined[^1] is var last && last.End == p.Address && last.Block == p.Block && last.BlockOffset + last.Length == p.BlockOffset)
                joined[^1] = last with { Length = last.Length + p.Length };
            else
                joined.Add(p);
        }
        return joined;
    }

    private static SectionState? Find(StateDump state, Func<string, bool> idstr)
    {
        foreach (var s in state.Sections)
            if (idstr(s.Header.Idstr)) return s;
        return null;
    }

    // A decoded field's bytes: a buffer, or an array of byte scalars; null when absent or of another length.
    private static byte[]? Bytes(SectionState? section, string path, int length)
    {
        VmValue? v = section?.Root;
        foreach (var name in path.Split('/'))
            v = (v as VmStruct)?[name] ?? (v as VmStruct)?[name + "[0]"]; // a one-element array field is named NAME[0]
        byte[]? bytes = v switch
        {
            VmBytes b => b.Bytes,
            // PCIDevice's config is an array of one buffer (VMSTATE_BUFFER_UNSAFE_INFO in an array position).
            VmArray { Elements: [VmBytes b] } => b.Bytes,
            VmArray a when a.Elements.All(e => e is VmScalar { Size: 1 }) => a.Elements.Select(e => (byte)((VmScalar)e).Bits).ToArray(),
            _ => null,
        };
        return bytes is { Length: var n } && n == length ? bytes : null;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
