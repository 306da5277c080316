using System.Buffers.Binary;

namespace Qevm.Guest;

/// <summary>
/// The notes QEMU 7.2's <c>dump-guest-memory</c> writes for x86 CPUs in an ELFCLASS64 core
/// (dump.c <c>write_elf64_notes</c>, target/i386/arch_dump.c): every CPU's "CORE" NT_PRSTATUS (pr_pid = cpu
/// index + 1; the i386 or x86-64 layout by the first CPU's long mode), then every CPU's "QEMU" note (QEMUCPUState).
/// </summary>
public static class X86ElfNotes
{
    private const int NtPrstatus = 1;
    private const int PrstatusI386 = 144, PrstatusX8664 = 336, QemuCpuState = 440;

    /// <summary>The note bytes for <paramref name="cpus"/>.</summary>
    public static byte[] Build(IReadOnlyList<X86CpuState> cpus)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        bool lma = cpus.Count > 0 && cpus[0].LongMode;
        int prstatus = lma ? PrstatusX8664 : PrstatusI386;
        int size = cpus.Count * (NoteSize(prstatus) + NoteSize(QemuCpuState));
        var notes = new byte[size];
        int at = 0;
        foreach (var cpu in cpus)
        {
            var desc = new byte[prstatus];
            if (lma) PrstatusX86_64(desc, cpu);
            else PrstatusI386Of(desc, cpu);
            desc.CopyTo(Header(notes.AsSpan(at), "CORE", NtPrstatus, prstatus));
            at += NoteSize(prstatus);
        }
        foreach (var cpu in cpus)
        {
            var desc = new byte[QemuCpuState];
            QemuNote(desc, cpu);
            desc.CopyTo(Header(notes.AsSpan(at), "QEMU", 0, QemuCpuState));
            at += NoteSize(QemuCpuState);
        }
        return notes;
    }

    // Elf64_Nhdr (12 bytes), the name with its NUL padded to 4, the descriptor padded to 4 (ELF_NOTE_SIZE).
    private static int NoteSize(int desc) => 12 + 8 + (desc + 3) / 4 * 4;

    private static Span<byte> Header(Span<byte> note, string name, int type, int descsz)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(note, 5);
        BinaryPrimitives.WriteUInt32LittleEndian(note[4..], (uint)descsz);
        BinaryPrimitives.WriteUInt32LittleEndian(note[8..], (uint)type);
        System.Text.Encoding.ASCII.GetBytes(name, note[12..]);
        return note.Slice(20, descsz);
    }

    // x86_elf_prstatus: pad1[24], pid, pad2[44], x86_user_regs_struct at 72 (32-bit values, 16-bit selectors).
    private static void PrstatusI386Of(byte[] d, X86CpuState c)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(24), c.Index + 1);
        const int r = 72;
        void U32(int off, ulong v) => BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(r + off), (uint)v);
        void U16(int off, uint v) => BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(r + off), (ushort)v);
        U32(0, c.Regs[3]); U32(4, c.Regs[1]); U32(8, c.Regs[2]); U32(12, c.Regs[6]); U32(16, c.Regs[7]); U32(20, c.Regs[5]); U32(24, c.Regs[0]);
        U16(28, c.Segments[3].Selector); U16(32, c.Segments[0].Selector); U16(36, c.Segments[4].Selector); U16(40, c.Segments[5].Selector);
        U32(48, c.Eip);
        U16(52, c.Segments[1].Selector);
        U32(56, c.Eflags); U32(60, c.Regs[4]);
        U16(64, c.Segments[2].Selector);
    }

    // x86_64_elf_prstatus: pad1[32], pid, pad2[76], x86_64_user_regs_struct at 112 (orig_rax 0, as QEMU).
    private static void PrstatusX86_64(byte[] d, X86CpuState c)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(32), c.Index + 1);
        ulong[] regs =
        [
            c.Regs[15], c.Regs[14], c.Regs[13], c.Regs[12], c.Regs[5], c.Regs[3], c.Regs[11], c.Regs[10],
            c.Regs[9], c.Regs[8], c.Regs[0], c.Regs[1], c.Regs[2], c.Regs[6], c.Regs[7], 0,
            c.Eip, c.Segments[1].Selector, c.Eflags, c.Regs[4], c.Segments[2].Selector,
            c.Segments[4].Base, c.Segments[5].Base,
            c.Segments[3].Selector, c.Segments[0].Selector, c.Segments[4].Selector, c.Segments[5].Selector,
        ];
        for (int i = 0; i < regs.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(112 + 8 * i), regs[i]);
    }

    // QEMUCPUState version 1, 440 bytes (qemu_get_cpustate).
    private static void QemuNote(byte[] d, X86CpuState c)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(d, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(4), QemuCpuState);
        int at = 8;
        void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(at), v); at += 8; }
        void Seg(X86Segment s)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(at), s.Selector);
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(at + 4), s.Limit);
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(at + 8), s.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(at + 16), s.Base);
            at += 24;
        }
        // rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8-r15
        foreach (int i in (int[])[0, 3, 1, 2, 6, 7, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15]) U64(c.Regs[i]);
        U64(c.Eip);
        U64(c.Eflags);
        // cs, ds, es, fs, gs, ss
        foreach (int i in (int[])[1, 3, 0, 4, 5, 2]) Seg(c.Segments[i]);
        Seg(c.Ldt); Seg(c.Tr); Seg(c.Gdt); Seg(c.Idt);
        foreach (var cr in c.Cr) U64(cr);
        U64(c.KernelGsBase);
    }
}
