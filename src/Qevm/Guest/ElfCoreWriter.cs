using System.Buffers.Binary;

namespace Qevm.Guest;

/// <summary>
/// Writes an x86 or aarch64 guest's memory and CPU state as the ELF core QEMU 7.2's <c>dump-guest-memory</c> writes with
/// paging off (dump/dump.c): ELF header, the section headers (the null one and .shstrtab), one PT_NOTE and one
/// PT_LOAD per <see cref="GuestPhysicalLayout"/> range, the notes, the memory of each range in order, the string
/// table. Two passes over the stream: the layout and CPUs come from the device sections, which follow the RAM; the
/// second is <see cref="GuestMemoryWriter"/>'s page walk. Zero pages are left as holes (the output is sparse);
/// memory use does not grow with the guest's RAM but for a bit per page.
/// </summary>
public static class ElfCoreWriter
{
    private const int EhdrSize = 64, ShdrSize = 64, PhdrSize = 56;
    private const ushort EtCore = 4, Em386 = 3, EmX86_64 = 62, EmAarch64 = 183;
    private const uint PnXnum = 0xFFFF;
    private static readonly byte[] StringTable = "\0.shstrtab\0"u8.ToArray();

    /// <summary>
    /// Writes the core of the stream <paramref name="open"/> opens (called twice, each time for a new pass from the
    /// stream's first byte; three times when the guest gave a VMCOREINFO note) to <paramref name="output"/>, which
    /// must be seekable and empty. <paramref name="ramFiles"/> give the blocks an x-ignore-shared stream leaves out.
    /// </summary>
    /// <remarks><c>hints</c> give what the stream cannot tell of the layout (<see cref="GuestLayoutHints"/>).</remarks>
    /// <exception cref="GuestLayoutException">The stream does not give the layout or the CPU registers.</exception>
    /// <exception cref="SharedRamMissingException">An x-ignore-shared block has no pages and no RAM file.</exception>
    public static GuestPhysicalLayout Write(Func<System.IO.Stream> open, System.IO.Stream output, IReadOnlyList<ISchemaSource>? schemas = null,
        IReadOnlyList<RamFileSource>? ramFiles = null, GuestLayoutHints? hints = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(output);
        if (!output.CanSeek) throw new ArgumentException("the ELF core is written at offsets: the output must be a file", nameof(output));

        StateDump state;
        using (var first = open()) state = StateDump.Read(first, schemas);
        var layout = GuestPhysicalLayout.Of(state, hints);
        var (notes, machine) = NotesOf(state, layout);
        // The guest's note comes after every CPU's notes (write_elf64_notes).
        if (VmcoreInfo.Read(open, schemas, state, layout, ramFiles) is { } guestNote) notes = [.. notes, .. guestNote];

        var ranges = layout.Ranges;
        var head = Head(ranges, notes, machine, out var fileOffsets, out long sectionOffset);
        // Not on an empty file: ext4 writes a file truncated to 0 back to disk when it is closed (auto_da_alloc), which
        // made an export of 4 GiB wait for the disk.
        if (output.Length != 0) output.SetLength(0);
        output.Write(head);
        output.SetLength(sectionOffset); // sparse: memory never written stays a hole, read as zeros
        output.Position = sectionOffset;
        output.Write(StringTable);

        GuestMemoryWriter.Write(open, schemas, state, output, ranges, fileOffsets, ramFiles);
        output.Flush();
        return layout;
    }

    /// <summary>
    /// The file up to the memory: ELF header, section headers, program headers, notes; the file offset of each
    /// range's memory and of the string table after it.
    /// </summary>
    internal static byte[] Head(IReadOnlyList<GuestRange> ranges, ReadOnlySpan<byte> notes, ushort machine, out long[] fileOffsets, out long sectionOffset)
    {
        // PN_XNUM: QEMU counts one PT_NOTE plus a PT_LOAD per range up to UINT32_MAX (dump_init); e_phnum holds at
        // most 0xFFFF and from there section 0's sh_info holds the count (prepare_elf_section_hdr_zero).
        if ((ulong)ranges.Count + 1 > uint.MaxValue) throw new GuestLayoutException("more guest-physical ranges than an ELF core's 32-bit program header count holds");
        uint phnum = 1 + (uint)ranges.Count;
        const int shnum = 2;
        long phoff = EhdrSize + shnum * ShdrSize;
        long noteOffset = phoff + (long)phnum * PhdrSize;
        long memoryOffset = noteOffset + notes.Length;
        fileOffsets = new long[ranges.Count];
        long at = memoryOffset;
        for (int i = 0; i < ranges.Count; i++)
        {
            fileOffsets[i] = at;
            at += (long)ranges[i].Length;
        }
        sectionOffset = at;

        var head = new byte[memoryOffset];
        var h = head.AsSpan();
        // ELF header (prepare_elf64_header). e_ehsize is QEMU's sizeof(elf_header) of a pointer: 8.
        "\x7f"u8.CopyTo(h);
        "ELF"u8.CopyTo(h[1..]);
        h[4] = 2; // ELFCLASS64: pc.bios ends at 4 GiB, so a range ends above 0xFFFFFFFF (cpu_get_dump_info)
        h[5] = 1; // ELFDATA2LSB
        h[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], EtCore);
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], machine);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], (ulong)phoff);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], EhdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], 8);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], PhdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], (ushort)Math.Min(phnum, PnXnum));
        BinaryPrimitives.WriteUInt16LittleEndian(h[58..], ShdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[60..], shnum);
        BinaryPrimitives.WriteUInt16LittleEndian(h[62..], shnum - 1);
        // Section 0 is all zero but for sh_info under PN_XNUM; section 1 is .shstrtab after the memory
        // (prepare_elf_section_hdr_string).
        if (phnum >= PnXnum) BinaryPrimitives.WriteUInt32LittleEndian(h[(EhdrSize + 44)..], phnum);
        var sh = h[(EhdrSize + ShdrSize)..];
        BinaryPrimitives.WriteUInt32LittleEndian(sh, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[4..], 3); // SHT_STRTAB
        BinaryPrimitives.WriteUInt64LittleEndian(sh[24..], (ulong)sectionOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(sh[32..], (ulong)StringTable.Length);
        // PT_NOTE, then a PT_LOAD per range (write_elf64_load: p_vaddr = p_paddr without paging; p_flags, p_align 0).
        var ph = h[(int)phoff..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 4);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], (ulong)noteOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)notes.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)notes.Length);
        for (int i = 0; i < ranges.Count; i++)
        {
            var p = ph[((i + 1) * PhdrSize)..];
            BinaryPrimitives.WriteUInt32LittleEndian(p, 1);
            BinaryPrimitives.WriteUInt64LittleEndian(p[8..], (ulong)fileOffsets[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(p[16..], ranges[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], ranges[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(p[32..], ranges[i].Length);
            BinaryPrimitives.WriteUInt64LittleEndian(p[40..], ranges[i].Length);
        }
        notes.CopyTo(h[(int)noteOffset..]);
        return head;
    }

    // The CPU notes and e_machine by the machine: aarch64's (cpu_get_dump_info) or x86's, EM_X86_64 when the first CPU is in long mode.
    private static (byte[] Notes, ushort Machine) NotesOf(StateDump state, GuestPhysicalLayout layout)
    {
        if (layout.Machine == GuestMachine.ArmVirt) return (ArmElfNotes.Build(ArmCpuState.FromState(state)), EmAarch64);
        var cpus = X86CpuState.FromState(state);
        return (X86ElfNotes.Build(cpus), cpus[0].LongMode ? EmX86_64 : Em386);
    }
}
