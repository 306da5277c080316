namespace Qevm.Guest;

/// <summary>
/// The registers of one x86 CPU that QEMU's ELF notes carry (target/i386/arch_dump.c), from the decoded
/// <c>cpu</c> section (QEMU's <c>CPUX86State</c> fields <c>env.regs</c>, <c>env.eip</c>, …).
/// </summary>
public sealed record X86CpuState
{
    /// <summary>HF_LMA_MASK: the CPU is in long mode (QEMU picks EM_X86_64 and the 64-bit NT_PRSTATUS by it).</summary>
    private const ulong HfLma = 1 << 14;

    /// <summary>The <c>cpu</c> section's instance id (QEMU's <c>cpu_index</c>).</summary>
    public required uint Index { get; init; }

    /// <summary><c>env.regs</c>: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8–R15 (QEMU's R_EAX… order).</summary>
    public required IReadOnlyList<ulong> Regs { get; init; }

    /// <summary><c>env.eip</c>.</summary>
    public required ulong Eip { get; init; }

    /// <summary><c>env.eflags</c>.</summary>
    public required ulong Eflags { get; init; }

    /// <summary><c>env.hflags</c>: QEMU's hidden flags.</summary>
    public required ulong Hflags { get; init; }

    /// <summary><c>env.segs</c>: ES, CS, SS, DS, FS, GS.</summary>
    public required IReadOnlyList<X86Segment> Segments { get; init; }

    /// <summary><c>env.ldt</c>.</summary>
    public required X86Segment Ldt { get; init; }

    /// <summary><c>env.tr</c>.</summary>
    public required X86Segment Tr { get; init; }

    /// <summary><c>env.gdt</c>.</summary>
    public required X86Segment Gdt { get; init; }

    /// <summary><c>env.idt</c>.</summary>
    public required X86Segment Idt { get; init; }

    /// <summary>CR0–CR4 (CR1 is not migrated and is 0).</summary>
    public required IReadOnlyList<ulong> Cr { get; init; }

    /// <summary><c>env.kernelgsbase</c>.</summary>
    public required ulong KernelGsBase { get; init; }

    /// <summary>Long mode active (hflags LMA), as QEMU's dump tests it.</summary>
    public bool LongMode => (Hflags & HfLma) != 0;

    /// <summary>The CPUs of a decoded stream, by index.</summary>
    /// <exception cref="GuestLayoutException">No decoded <c>cpu</c> section, or one without the registers.</exception>
    public static List<X86CpuState> FromState(StateDump state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var cpus = new List<X86CpuState>();
        foreach (var s in state.Sections)
            if (s.Header.Idstr == "cpu")
                cpus.Add(FromSection(s));
        if (cpus.Count == 0) throw new GuestLayoutException("no cpu section: the CPU registers cannot be known");
        cpus.Sort((a, b) => a.Index.CompareTo(b.Index));
        return cpus;
    }

    /// <summary>Reads the registers of one decoded <c>cpu</c> section.</summary>
    /// <exception cref="GuestLayoutException">The section is not decoded, or lacks a register.</exception>
    public static X86CpuState FromSection(SectionState section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var root = section.Root ?? throw new GuestLayoutException($"{section.Path} is not decoded (no description fits): its registers cannot be read");
        var regs = new ulong[16];
        for (int i = 0; i < 16; i++) regs[i] = Scalar(root, section, "env.regs", i);
        var segs = new X86Segment[6];
        for (int i = 0; i < 6; i++) segs[i] = Segment(Element(root, "env.segs", i), section, "env.segs");
        return new X86CpuState
        {
            Index = section.Header.InstanceId,
            Regs = regs,
            Eip = Scalar(root, section, "env.eip"),
            Eflags = Scalar(root, section, "env.eflags"),
            Hflags = Scalar(root, section, "env.hflags"),
            Segments = segs,
            Ldt = Segment(root["env.ldt"], section, "env.ldt"),
            Tr = Segment(root["env.tr"], section, "env.tr"),
            Gdt = Segment(root["env.gdt"], section, "env.gdt"),
            Idt = Segment(root["env.idt"], section, "env.idt"),
            Cr = [Scalar(root, section, "env.cr", 0), 0, Scalar(root, section, "env.cr", 2), Scalar(root, section, "env.cr", 3), Scalar(root, section, "env.cr", 4)],
            KernelGsBase = (root["env.kernelgsbase"] as VmScalar)?.Bits ?? 0,
        };
    }

    // An array field is one member NAME (VmArray) or, for single fields like VMSTATE_UINTTL(env.cr[0]), NAME[i].
    private static VmValue? Element(VmStruct root, string name, int index) =>
        root[name] is VmArray a && index < a.Elements.Count ? a.Elements[index] : root[name + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]"];

    private static ulong Scalar(VmStruct root, SectionState s, string name, int index) =>
        (Element(root, name, index) as VmScalar)?.Bits ?? throw Missing(s, name + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");

    private static ulong Scalar(VmStruct root, SectionState s, string name) =>
        (root[name] as VmScalar)?.Bits ?? throw Missing(s, name);

    private static X86Segment Segment(VmValue? v, SectionState s, string name)
    {
        if (v is not VmStruct seg) throw Missing(s, name);
        uint U32(string f) => (uint)((seg[f] as VmScalar)?.Bits ?? throw Missing(s, name + "/" + f));
        return new X86Segment(U32("selector"), (seg["base"] as VmScalar)?.Bits ?? throw Missing(s, name + "/base"), U32("limit"), U32("flags"));
    }

    private static GuestLayoutException Missing(SectionState s, string field) =>
        new($"{s.Path} has no {field}: the CPU registers cannot be read");
}
