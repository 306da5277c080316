namespace Qevm.Guest;

/// <summary>
/// The registers of one x86 CPU from the decoded <c>cpu</c> section (QEMU's <c>CPUX86State</c> fields
/// <c>env.regs</c>, <c>env.eip</c>, …): those QEMU's ELF notes carry (target/i386/arch_dump.c), and the debug,
/// model-specific, x87, SSE and AVX registers <c>info registers</c> shows.
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

    /// <summary><c>env.dr</c>: DR0–DR7 (empty when the section lacks them).</summary>
    public IReadOnlyList<ulong> Dr { get; init; } = [];

    /// <summary><c>env.efer</c>.</summary>
    public ulong Efer { get; init; }

    /// <summary><c>env.a20_mask</c> (bit 20: the A20 gate is open).</summary>
    public ulong A20Mask { get; init; } = ulong.MaxValue;

    /// <summary><c>cpu_common</c>'s <c>halted</c> for this CPU.</summary>
    public bool Halted { get; init; }

    /// <summary><c>env.fpuc</c>: the x87 control word (FCW).</summary>
    public ushort Fpuc { get; init; }

    /// <summary><c>env.fpus_vmstate</c>: the x87 status word with TOP in bits 11–13 (FSW as <c>info registers</c> shows it).</summary>
    public ushort Fpus { get; init; }

    /// <summary><c>env.fptag_vmstate</c>: the abridged tag word, bit i set when ST register i is valid (FTW).</summary>
    public byte Fptag { get; init; }

    /// <summary><c>env.fpregs</c>: the x87 registers as 64-bit mantissa and 16-bit sign and exponent.</summary>
    public IReadOnlyList<X86FpRegister> FpRegs { get; init; } = [];

    /// <summary><c>env.mxcsr</c>.</summary>
    public uint Mxcsr { get; init; }

    /// <summary><c>env.xcr0</c> (0 when not sent).</summary>
    public ulong Xcr0 { get; init; }

    /// <summary>XMM0–XMM15 (<c>env.xmm_regs[i]</c> quadwords 0–1).</summary>
    public IReadOnlyList<UInt128> Xmm { get; init; } = [];

    /// <summary>The upper halves of YMM0–YMM15 (<c>env.xmm_regs[i]</c> quadwords 2–3), empty when not sent.</summary>
    public IReadOnlyList<UInt128> YmmHigh { get; init; } = [];

    /// <summary>The model-specific registers the section holds (<c>efer</c> aside): <c>star</c>, <c>lstar</c>,
    /// <c>cstar</c>, <c>fmask</c>, <c>kernelgsbase</c>, <c>sysenter_*</c>, <c>pat</c>, <c>tsc</c>, <c>tsc_aux</c>,
    /// <c>smbase</c>, and the subsections' <c>msr_*</c>, by QEMU's field name without <c>env.</c>.</summary>
    public IReadOnlyDictionary<string, ulong> Msrs { get; init; } = new Dictionary<string, ulong>();

    /// <summary>Long mode active (hflags LMA), as QEMU's dump tests it.</summary>
    public bool LongMode => (Hflags & HfLma) != 0;

    /// <summary>The CPUs of a decoded stream, by index.</summary>
    /// <exception cref="GuestLayoutException">No decoded <c>cpu</c> section, or one without the registers.</exception>
    public static List<X86CpuState> FromState(StateDump state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var halted = new Dictionary<uint, bool>();
        foreach (var s in state.Sections)
            if (s.Header.Idstr == "cpu_common") halted[s.Header.InstanceId] = (s.Root?["halted"] as VmScalar)?.Bits is > 0;
        return CpuSectionFields.Cpus(state, s => FromSection(s) with { Halted = halted.GetValueOrDefault(s.Header.InstanceId) });
    }

    /// <summary>Reads the registers of one decoded <c>cpu</c> section.</summary>
    /// <exception cref="GuestLayoutException">The section is not decoded, or lacks a register.</exception>
    public static X86CpuState FromSection(SectionState section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var root = CpuSectionFields.Root(section);
        var regs = new ulong[16];
        for (int i = 0; i < 16; i++) regs[i] = CpuSectionFields.Scalar(root, section, "env.regs", i);
        var segs = new X86Segment[6];
        for (int i = 0; i < 6; i++) segs[i] = Segment(CpuSectionFields.Element(root, "env.segs", i), section, "env.segs");
        ulong Opt(string name) => (root[name] as VmScalar)?.Bits ?? 0;
        return new X86CpuState
        {
            Index = section.Header.InstanceId,
            Regs = regs,
            Eip = CpuSectionFields.Scalar(root, section, "env.eip"),
            Eflags = CpuSectionFields.Scalar(root, section, "env.eflags"),
            Hflags = CpuSectionFields.Scalar(root, section, "env.hflags"),
            Segments = segs,
            Ldt = Segment(root["env.ldt"], section, "env.ldt"),
            Tr = Segment(root["env.tr"], section, "env.tr"),
            Gdt = Segment(root["env.gdt"], section, "env.gdt"),
            Idt = Segment(root["env.idt"], section, "env.idt"),
            Cr = [CpuSectionFields.Scalar(root, section, "env.cr", 0), 0, CpuSectionFields.Scalar(root, section, "env.cr", 2), CpuSectionFields.Scalar(root, section, "env.cr", 3), CpuSectionFields.Scalar(root, section, "env.cr", 4)],
            KernelGsBase = Opt("env.kernelgsbase"),
            Dr = CpuSectionFields.Scalars(root, "env.dr", 8),
            Efer = Opt("env.efer"),
            A20Mask = root["env.a20_mask"] is VmScalar a20 ? (ulong)a20.AsInt64 : ulong.MaxValue,
            Fpuc = (ushort)Opt("env.fpuc"),
            Fpus = (ushort)Opt("env.fpus_vmstate"),
            Fptag = (byte)Opt("env.fptag_vmstate"),
            FpRegs = FpRegisters(root),
            Mxcsr = (uint)Opt("env.mxcsr"),
            Xcr0 = Opt("env.xcr0"),
            Xmm = Vectors(CpuSectionFields.Occurrence(root, "env.xmm_regs", 0), 0),
            YmmHigh = Vectors(CpuSectionFields.Occurrence(root, "env.xmm_regs", 1), 2),
            Msrs = MsrsOf(root),
        };
    }

    private static readonly string[] NamedMsrs =
        ["star", "lstar", "cstar", "fmask", "kernelgsbase", "sysenter_cs", "sysenter_esp", "sysenter_eip", "pat", "tsc", "tsc_aux", "smbase"];

    // VMSTATE_WITH_TMP: env.fpregs[i]/tmp/{tmp_mant,tmp_exp} (the 80-bit format QEMU always sends).
    private static X86FpRegister[] FpRegisters(VmStruct root)
    {
        var list = new List<X86FpRegister>();
        for (int i = 0; i < 8; i++)
        {
            if (CpuSectionFields.Element(root, "env.fpregs", i) is not VmStruct { } r || r["tmp"] is not VmStruct tmp
                || tmp["tmp_mant"] is not VmScalar mant || tmp["tmp_exp"] is not VmScalar exp) break;
            list.Add(new X86FpRegister(mant.Bits, (ushort)exp.Bits));
        }
        return [.. list];
    }

    // An array of 16 ZMMReg structs holding two quadwords each: _q_ZMMReg[first] and _q_ZMMReg[first + 1].
    private static UInt128[] Vectors(VmValue? v, int first)
    {
        if (v is not VmArray a) return [];
        var list = new List<UInt128>();
        foreach (var e in a.Elements)
        {
            if (e is not VmStruct z) return [];
            ulong? Q(int i) => (CpuSectionFields.Element(z, "_q_ZMMReg", i) as VmScalar)?.Bits;
            if (Q(first) is not { } lo || Q(first + 1) is not { } hi) return [];
            list.Add(new UInt128(hi, lo));
        }
        return [.. list];
    }

    private static Dictionary<string, ulong> MsrsOf(VmStruct root)
    {
        var msrs = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var name in NamedMsrs)
            if (root["env." + name] is VmScalar v) msrs[name] = v.Bits;
        // Subsections (cpu/msr_smi_count, cpu/spec_ctrl, ...) name theirs env.msr_* or env.*_msr.
        foreach (var m in root.Members)
        {
            if (m.Value is not VmStruct { SubsectionVersion: not null } sub) continue;
            foreach (var f in sub.Members)
            {
                if (f.Value is not VmScalar v || !f.Key.StartsWith("env.", StringComparison.Ordinal)) continue;
                var name = f.Key[4..];
                if (name.StartsWith("msr_", StringComparison.Ordinal) || name.EndsWith("_msr", StringComparison.Ordinal) || name is "spec_ctrl" or "virt_ssbd" or "tsc_adjust" or "pkrs")
                    msrs[name] = v.Bits;
            }
        }
        return msrs;
    }

    private static X86Segment Segment(VmValue? v, SectionState s, string name)
    {
        if (v is not VmStruct seg) throw CpuSectionFields.Missing(s, name);
        uint U32(string f) => (uint)((seg[f] as VmScalar)?.Bits ?? throw CpuSectionFields.Missing(s, name + "/" + f));
        return new X86Segment(U32("selector"), (seg["base"] as VmScalar)?.Bits ?? throw CpuSectionFields.Missing(s, name + "/base"), U32("limit"), U32("flags"));
    }
}
