using System.Buffers.Binary;
using System.IO.Compression;

namespace Qevm.Guest;

/// <summary>
/// Writes an x86 or aarch64 guest's memory and CPU state as the ELF core QEMU 7.2's <c>dump-guest-memory</c> writes with
/// paging off (dump/dump.c): ELF header, the section headers (the null one and .shstrtab), one PT_NOTE and one
/// PT_LOAD per <see cref="GuestPhysicalLayout"/> range, the notes, the memory of each range in order, the string
/// table. Two passes over the stream: the layout and CPUs come from the device sections, which follow the RAM.
/// Zero pages are left as holes (the output is sparse); memory use does not grow with the guest's RAM but for a
/// bit per page.
/// </summary>
public static class ElfCoreWriter
{
    private const int EhdrSize = 64, ShdrSize = 64, PhdrSize = 56;
    private const ushort EtCore = 4, Em386 = 3, EmX86_64 = 62, EmAarch64 = 183;
    private static readonly byte[] StringTable = "\0.shstrtab\0"u8.ToArray();

    /// <summary>
    /// Writes the core of the stream <paramref name="open"/> opens (called twice, each time for a new pass from the
    /// stream's first byte) to <paramref name="output"/>, which must be seekable and empty.
    /// </summary>
    /// <exception cref="GuestLayoutException">The stream does not give the layout or the CPU registers.</exception>
    public static GuestPhysicalLayout Write(Func<System.IO.Stream> open, System.IO.Stream output, IReadOnlyList<ISchemaSource>? schemas = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(output);
        if (!output.CanSeek) throw new ArgumentException("the ELF core is written at offsets: the output must be a file", nameof(output));

        StateDump state;
        using (var first = open()) state = StateDump.Read(first, schemas);
        var layout = GuestPhysicalLayout.FromState(state);
        var (notes, machine) = NotesOf(state, layout);

        var ranges = layout.Ranges;
        int phnum = 1 + ranges.Count;
        // PN_XNUM (sh_info of section 0) is not written: x86 layouts have a handful of ranges.
        if (phnum >= 0xFFFF) throw new GuestLayoutException("more than 65,534 guest-physical ranges (PN_XNUM) is not supported");
        const int shnum = 2;
        long phoff = EhdrSize + shnum * ShdrSize;
        long noteOffset = phoff + (long)phnum * PhdrSize;
        long memoryOffset = noteOffset + notes.Length;
        var fileOffsets = new long[ranges.Count];
        long at = memoryOffset;
        for (int i = 0; i < ranges.Count; i++)
        {
            fileOffsets[i] = at;
            at += (long)ranges[i].Length;
        }
        long sectionOffset = at;

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
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], (ushort)phnum);
        BinaryPrimitives.WriteUInt16LittleEndian(h[58..], ShdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[60..], shnum);
        BinaryPrimitives.WriteUInt16LittleEndian(h[62..], shnum - 1);
        // Section 0 is all zero; section 1 is .shstrtab after the memory (prepare_elf_section_hdr_string).
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

        output.SetLength(0);
        output.Write(head);
        output.SetLength(sectionOffset); // sparse: memory never written stays a hole, read as zeros
        output.Position = sectionOffset;
        output.Write(StringTable);

        using (var second = open())
        using (var gathered = new CoalescingWriter(output))
        {
            var pages = new PageWriter(gathered, ranges, fileOffsets);
            StateDump.Read(second, schemas, r =>
            {
                if (r.Section?.Idstr == "ram") pages.Add(r);
            });
        }
        output.Flush();
        return layout;
    }

    // The CPU notes and e_machine by the machine: aarch64's (cpu_get_dump_info) or x86's, EM_X86_64 when the first CPU is in long mode.
    private static (byte[] Notes, ushort Machine) NotesOf(StateDump state, GuestPhysicalLayout layout)
    {
        if (layout.Machine == GuestMachine.ArmVirt) return (ArmElfNotes.Build(ArmCpuState.FromState(state)), EmAarch64);
        var cpus = X86CpuState.FromState(state);
        return (X86ElfNotes.Build(cpus), cpus[0].LongMode ? EmX86_64 : Em386);
    }

    // Puts each page of the stream where the ranges that map its block put it in the file.
    private sealed class PageWriter(System.IO.Stream output, IReadOnlyList<GuestRange> ranges, long[] fileOffsets)
    {
        private readonly Dictionary<string, System.Collections.BitArray> _written = [];
        private byte[] _page = new byte[4096];

        public void Add(VmStateReader r)
        {
            var item = r.Item;
            if (r.PageSize > 0 && _page.Length != r.PageSize) _page = new byte[r.PageSize];
            switch (item.Kind)
            {
                case IterativeItemKind.RamZero:
                    if (item.FillByte != 0)
                    {
                        Array.Fill(_page, item.FillByte);
                        Put(item.Block!, item.PageOffset, _page);
                    }
                    else if (Written(item.Block!, item.PageOffset))
                    {
                        // A page written earlier in the stream and zero now: the hole must be made zero again.
                        Array.Clear(_page);
                        Put(item.Block!, item.PageOffset, _page);
                        Mark(item.Block!, item.PageOffset, false);
                    }
                    break;
                case IterativeItemKind.RamPage:
                    Put(item.Block!, item.PageOffset, r.ItemData);
                    break;
                case IterativeItemKind.RamCompressedPage:
                    using (var z = new ZLibStream(new MemoryStream(r.ItemData.ToArray()), CompressionMode.Decompress))
                    {
                        int n = z.ReadAtLeast(_page, _page.Length, throwOnEndOfStream: false);
                        Put(item.Block!, item.PageOffset, _page.AsSpan(0, n));
                    }
                    break;
                case IterativeItemKind.RamXbzrle:
                    // The delta applies to the page as sent before: read it back from where it was written.
                    Array.Clear(_page);
                    ReadBack(item.Block!, item.PageOffset, _page);
                    Xbzrle.Apply(r.ItemData, _page, item.Offset);
                    Put(item.Block!, item.PageOffset, _page);
                    break;
                case IterativeItemKind.RamMappedRegion:
                    var region = r.MappedRegion;
                    var bitmap = r.ReadMappedBitmap();
                    var page = new byte[region.PageSize];
                    foreach (var p in region.PresentPages(bitmap))
                    {
                        r.ReadRegion(p.At, page);
                        Put(item.Block!, p.BlockOffset, page);
                    }
                    break;
            }
        }

        private void Put(RamBlock block, ulong offset, ReadOnlySpan<byte> data)
        {
            bool any = false;
            for (int i = 0; i < ranges.Count; i++)
            {
                var g = ranges[i];
                if (g.Block != block.Name || offset < g.BlockOffset || offset >= g.BlockOffset + g.Length) continue;
                ulong into = offset - g.BlockOffset;
                int n = (int)Math.Min((ulong)data.Length, g.Length - into);
                output.Position = fileOffsets[i] + (long)into;
                output.Write(data[..n]);
                any = true;
            }
            if (any) Mark(block, offset, true);
        }

        private void ReadBack(RamBlock block, ulong offset, Span<byte> page)
        {
            for (int i = 0; i < ranges.Count; i++)
            {
                var g = ranges[i];
                if (g.Block != block.Name || offset < g.BlockOffset || offset >= g.BlockOffset + g.Length) continue;
                output.Position = fileOffsets[i] + (long)(offset - g.BlockOffset);
                output.ReadAtLeast(page, (int)Math.Min((ulong)page.Length, g.Length - (offset - g.BlockOffset)), throwOnEndOfStream: false);
                return;
            }
        }

        private bool Written(RamBlock block, ulong offset) =>
            _written.TryGetValue(block.Name, out var bits) && (int)(offset / (ulong)_page.Length) < bits.Length && bits[(int)(offset / (ulong)_page.Length)];

        private void Mark(RamBlock block, ulong offset, bool value)
        {
            if (!_written.TryGetValue(block.Name, out var bits))
                _written[block.Name] = bits = new System.Collections.BitArray((int)Math.Max(1, block.UsedLength / (ulong)_page.Length));
            int index = (int)(offset / (ulong)_page.Length);
            if (index < bits.Length) bits[index] = value;
        }
    }
}
