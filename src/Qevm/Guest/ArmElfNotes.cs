using System.Buffers.Binary;

namespace Qevm.Guest;

/// <summary>
/// The notes QEMU 7.2's <c>dump-guest-memory</c> writes for aarch64 CPUs (dump.c <c>write_elf64_notes</c>,
/// target/arm/arch_dump.c <c>arm_cpu_write_elf64_note</c>): for each CPU its "CORE" NT_PRSTATUS (pr_pid = cpu
/// index + 1, pr_fpvalid 1, <c>user_pt_regs</c>) followed by its "CORE" NT_PRFPREG (<c>user_fpsimd_state</c>).
/// No "QEMU" note: QEMU has none for Arm. The SVE note is not written (CPUs with SVE are refused).
/// </summary>
public static class ArmElfNotes
{
    private const int NtPrstatus = 1, NtPrfpreg = 2;
    private const int Prstatus = 392, Prfpreg = 528;

    /// <summary>The note bytes for <paramref name="cpus"/>.</summary>
    /// <exception cref="GuestLayoutException">A CPU in AArch32 state (QEMU would first copy its AArch32 registers
    /// into the X registers by mode), with SVE, or with big-endian EL1.</exception>
    public static byte[] Build(IReadOnlyList<ArmCpuState> cpus)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        int size = NoteSize(Prstatus) + NoteSize(Prfpreg);
        var notes = new byte[cpus.Count * size];
        int at = 0;
        foreach (var cpu in cpus)
        {
            if (!cpu.Aarch64) throw new GuestLayoutException($"cpu#{cpu.Index} is in AArch32 state: its AArch64 view of the registers (aarch64_sync_32_to_64) is not modelled");
            if (cpu.Sve) throw new GuestLayoutException($"cpu#{cpu.Index} has SVE, for which QEMU adds an NT_ARM_SVE note at the current vector length; not supported");
            if (cpu.BigEndianEl1) throw new GuestLayoutException($"cpu#{cpu.Index}: EL1 is big-endian (SCTLR_EL1.EE), where QEMU writes a big-endian core; not supported");
            PrstatusOf(Header(notes.AsSpan(at), NtPrstatus, Prstatus), cpu);
            at += NoteSize(Prstatus);
            PrfpregOf(Header(notes.AsSpan(at), NtPrfpreg, Prfpreg), cpu);
            at += NoteSize(Prfpreg);
        }
        return notes;
    }

    // Elf64_Nhdr, "CORE" with its NUL padded to 8 (aarch64_note's name[8]), the descriptor.
    private static int NoteSize(int desc) => 12 + 8 + desc;

    private static Span<byte> Header(Span<byte> note, int type, int descsz)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(note, 5);
        BinaryPrimitives.WriteUInt32LittleEndian(note[4..], (uint)descsz);
        BinaryPrimitives.WriteUInt32LittleEndian(note[8..], (uint)type);
        "CORE"u8.CopyTo(note[12..]);
        return note.Slice(20, descsz);
    }

    // aarch64_elf_prstatus: pad1[32], pr_pid, pad2[76], user_pt_regs at 112 (x0-x30, sp, pc, pstate), pr_fpvalid at 384.
    private static void PrstatusOf(Span<byte> d, ArmCpuState c)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(d[32..], c.Index + 1);
        for (int i = 0; i < 31; i++) BinaryPrimitives.WriteUInt64LittleEndian(d[(112 + 8 * i)..], c.X[i]);
        BinaryPrimitives.WriteUInt64LittleEndian(d[360..], c.Sp);
        BinaryPrimitives.WriteUInt64LittleEndian(d[368..], c.Pc);
        BinaryPrimitives.WriteUInt64LittleEndian(d[376..], c.Pstate);
        BinaryPrimitives.WriteUInt32LittleEndian(d[384..], 1);
    }

    // aarch64_user_vfp_state: vregs[64] (low half, then high half of each Q register), fpsr, fpcr, pad[8].
    private static void PrfpregOf(Span<byte> d, ArmCpuState c)
    {
        for (int i = 0; i < 32; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(d[(16 * i)..], (ulong)c.Q[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(d[(16 * i + 8)..], (ulong)(c.Q[i] >> 64));
        }
        BinaryPrimitives.WriteUInt32LittleEndian(d[512..], c.Fpsr);
        BinaryPrimitives.WriteUInt32LittleEndian(d[516..], c.Fpcr);
    }
}
