using System.Globalization;

namespace Qevm.Guest;

/// <summary>
/// The registers of one aarch64 CPU from its decoded <c>cpu</c> section (QEMU's <c>vmstate_arm_cpu</c>,
/// target/arm/machine.c): what QEMU's ELF notes carry (target/arm/arch_dump.c) and what <c>info registers</c> shows.
/// </summary>
public sealed record ArmCpuState
{
    private const uint PstateNRw = 0x10;
    private const uint FpsrMask = 0xf800009f, FpcrMask = 0x07ff9f00;

    /// <summary>Registers of the cpreg list (KVM ids: op0, op1, CRn, CRm, op2 of the AArch64 system register)
    /// that <see cref="SystemRegisters"/> names.</summary>
    private static readonly (string Name, int Op0, int Op1, int Crn, int Crm, int Op2)[] Named =
    [
        ("SCTLR_EL1", 3, 0, 1, 0, 0), ("CPACR_EL1", 3, 0, 1, 0, 2), ("TTBR0_EL1", 3, 0, 2, 0, 0), ("TTBR1_EL1", 3, 0, 2, 0, 1),
        ("TCR_EL1", 3, 0, 2, 0, 2), ("ESR_EL1", 3, 0, 5, 2, 0), ("FAR_EL1", 3, 0, 6, 0, 0), ("MAIR_EL1", 3, 0, 10, 2, 0),
        ("VBAR_EL1", 3, 0, 12, 0, 0), ("CONTEXTIDR_EL1", 3, 0, 13, 0, 1), ("TPIDR_EL1", 3, 0, 13, 0, 4), ("TPIDR_EL0", 3, 3, 13, 0, 2),
    ];

    /// <summary>The <c>cpu</c> section's instance id (QEMU's <c>cpu_index</c>).</summary>
    public required uint Index { get; init; }

    /// <summary>X0–X30 (<c>env.xregs[0..30]</c>).</summary>
    public required IReadOnlyList<ulong> X { get; init; }

    /// <summary>The current stack pointer (<c>env.xregs[31]</c>).</summary>
    public required ulong Sp { get; init; }

    /// <summary><c>env.pc</c>.</summary>
    public required ulong Pc { get; init; }

    /// <summary>PSTATE as QEMU's <c>pstate_read</c> gives it (the stream's <c>cpsr</c> field for a CPU in AArch64 state).</summary>
    public required uint Pstate { get; init; }

    /// <summary>Q0–Q31 (the low 128 bits of <c>env.vfp.zregs</c>).</summary>
    public required IReadOnlyList<UInt128> Q { get; init; }

    /// <summary>FPSR (the stream's <c>fpscr</c> masked as QEMU's <c>vfp_get_fpsr</c>).</summary>
    public required uint Fpsr { get; init; }

    /// <summary>FPCR (the stream's <c>fpscr</c> masked as QEMU's <c>vfp_get_fpcr</c>).</summary>
    public required uint Fpcr { get; init; }

    /// <summary>ELR_EL0–ELR_EL3 (<c>env.elr_el</c>).</summary>
    public IReadOnlyList<ulong> ElrEl { get; init; } = [];

    /// <summary>SP_EL0–SP_EL3 as last banked (<c>env.sp_el</c>; the current one is <see cref="Sp"/>).</summary>
    public IReadOnlyList<ulong> SpEl { get; init; } = [];

    /// <summary>Some EL0/EL1 system registers from the cpreg list, by their architectural names (those present).</summary>
    public IReadOnlyDictionary<string, ulong> SystemRegisters { get; init; } = new Dictionary<string, ulong>();

    /// <summary>The CPU has SVE (the stream carries the <c>cpu/sve</c> subsection): QEMU adds a "LINUX" NT_ARM_SVE note.</summary>
    public bool Sve { get; init; }

    /// <summary>The CPU is in AArch64 state (PSTATE.nRW clear).</summary>
    public bool Aarch64 => (Pstate & PstateNRw) == 0;

    /// <summary>The exception level (PSTATE.EL).</summary>
    public int ExceptionLevel => (int)(Pstate >> 2) & 3;

    /// <summary>SCTLR_EL1.EE: EL1 is big-endian (QEMU then writes a big-endian core).</summary>
    public bool BigEndianEl1 => SystemRegisters.TryGetValue("SCTLR_EL1", out var sctlr) && (sctlr & (1UL << 25)) != 0;

    /// <summary>Whether the <c>cpu</c> sections of a decoded stream are Arm ones (they carry <c>env.xregs</c>).</summary>
    public static bool Holds(StateDump state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Sections.Any(s => s.Header.Idstr == "cpu" && s.Root?["env.xregs"] is not null);
    }

    /// <summary>The CPUs of a decoded stream, by index.</summary>
    /// <exception cref="GuestLayoutException">No decoded <c>cpu</c> section, or one without the registers.</exception>
    public static List<ArmCpuState> FromState(StateDump state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return CpuSectionFields.Cpus(state, FromSection);
    }

    /// <summary>Reads the registers of one decoded <c>cpu</c> section.</summary>
    /// <exception cref="GuestLayoutException">The section is not decoded, or lacks a register.</exception>
    public static ArmCpuState FromSection(SectionState section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var root = CpuSectionFields.Root(section);
        var x = new ulong[31];
        for (int i = 0; i < 31; i++) x[i] = CpuSectionFields.Scalar(root, section, "env.xregs", i);
        uint pstate = (uint)(CpuSectionFields.Value(root["cpsr"]) ?? throw CpuSectionFields.Missing(section, "cpsr"));
        // vfp_needed: every A-profile CPU with FP/SIMD sends the subsection; without it the registers are QEMU's reset zeros.
        var vfp = root["cpu/vfp"] as VmStruct;
        var q = new UInt128[32];
        uint fpscr = 0;
        if (vfp is not null)
        {
            for (int i = 0; i < 32; i++)
            {
                var d = "env.vfp.zregs[" + i.ToString(CultureInfo.InvariantCulture) + "].d";
                q[i] = new UInt128(CpuSectionFields.Scalar(vfp, section, d, 1), CpuSectionFields.Scalar(vfp, section, d, 0));
            }
            fpscr = (uint)(CpuSectionFields.Value(vfp["fpscr"]) ?? throw CpuSectionFields.Missing(section, "cpu/vfp/fpscr"));
        }
        return new ArmCpuState
        {
            Index = section.Header.InstanceId,
            X = x,
            Sp = CpuSectionFields.Scalar(root, section, "env.xregs", 31),
            Pc = CpuSectionFields.Scalar(root, section, "env.pc"),
            Pstate = pstate,
            Q = q,
            Fpsr = fpscr & FpsrMask,
            Fpcr = fpscr & FpcrMask,
            ElrEl = CpuSectionFields.Scalars(root, "env.elr_el", 4),
            SpEl = CpuSectionFields.Scalars(root, "env.sp_el", 4),
            SystemRegisters = SystemRegistersOf(root),
            Sve = root["cpu/sve"] is not null,
        };
    }

    // cpreg_vmstate_indexes holds KVM register ids: 0x6030000000130000 | op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2.
    private static Dictionary<string, ulong> SystemRegistersOf(VmStruct root)
    {
        var found = new Dictionary<string, ulong>(StringComparer.Ordinal);
        if (root["cpreg_vmstate_indexes"] is not VmArray ids || root["cpreg_vmstate_values"] is not VmArray values) return found;
        var at = new Dictionary<ulong, int>();
        for (int i = 0; i < ids.Elements.Count && i < values.Elements.Count; i++)
            if (ids.Elements[i] is VmScalar id) at[id.Bits] = i;
        foreach (var (name, op0, op1, crn, crm, op2) in Named)
        {
            ulong id = 0x6030000000130000UL | (uint)(op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2);
            if (at.TryGetValue(id, out int i) && values.Elements[i] is VmScalar v) found[name] = v.Bits;
        }
        return found;
    }
}
