using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Qevm.Iterative.Ram;

/// <summary>
/// <c>ram</c> (§11, migration/ram.c): the MEM_SIZE block list, page records and their end marker, and (10.0)
/// mapped-ram regions. Sealed and called directly by the reader: it runs once per guest page.
/// </summary>
internal sealed class RamHandler : IIterativeHandler
{
    private readonly List<RamBlock> _blocks = [];
    private RamBlock? _currentBlock; // CONTINUE refers to it, across sections
    private ulong _memSizeRemaining; // bytes of the MEM_SIZE list still to come as block entries
    private (RamBlock Block, long Offset, long Length)? _pendingRegion;

    /// <summary>The blocks of the last MEM_SIZE list.</summary>
    public List<RamBlock> Blocks => _blocks;

    public void Begin(VmStateReader r, SectionHeader section)
    {
        if (section.VersionId != 4)
            throw new VmStateFormatException(VmStateError.BadRam, r.PayloadOffset - 4, "ram section version 4", section.VersionId.ToString(CultureInfo.InvariantCulture),
                "error while loading state for instance 0x0 of device 'ram'");
    }

    public void Read(VmStateReader r)
    {
        var input = r.Input;
        long at = input.Position;
        if (_pendingRegion is { } region)
        {
            ReadMappedRegion(r, region);
            return;
        }
        if (_memSizeRemaining > 0)
        {
            ReadBlockEntry(r);
            return;
        }
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(r.Mapped is { } m ? m.Peek(8) : input.Peek(8));
        int pageSize = r.PageSize;
        ulong mask = pageSize > 0 ? (ulong)pageSize - 1 : 0x3FF;
        ulong flags = v & mask, addr = v & ~mask;
        ulong kind = flags & ~(ulong)RamFlags.Continue;
        int pos = 8;
        RamBlock? block = null;
        // ram.c reads the block name whenever a page kind is among the bits, before it rejects a combination.
        if ((flags & (ulong)(RamFlags.Zero | RamFlags.Page | RamFlags.Xbzrle | RamFlags.CompressPage)) != 0)
        {
            if ((flags & (ulong)RamFlags.Continue) == 0)
            {
                int n = input.Peek(9)[8];
                var name = input.Peek(9 + n).Slice(9, n);
                block = FindBlock(name) ?? throw new VmStateFormatException(VmStateError.BadRam, at + 8, "the name of a block of the MEM_SIZE list",
                    "'" + Encoding.Latin1.GetString(name) + "'", "Can't find block " + Encoding.Latin1.GetString(name));
                pos = 9 + n;
            }
            else
            {
                block = _currentBlock ?? throw new VmStateFormatException(VmStateError.BadRam, at, "a block name (no earlier page record named one)",
                    "CONTINUE", "Ack, bad migration stream!");
            }
            _currentBlock = block;
            if (addr >= block.UsedLength)
                throw new VmStateFormatException(VmStateError.BadRam, at, "an offset below used_length 0x" + block.UsedLength.ToString("x", CultureInfo.InvariantCulture) + " of " + block.Name,
                    VmStateReader.Hex(addr), "Illegal RAM offset " + addr.ToString("x", CultureInfo.InvariantCulture));
        }
        switch (kind)
        {
            case (ulong)RamFlags.MemSize:
                _blocks.Clear();
                _memSizeRemaining = addr;
                r.SetItem(IterativeItemKind.RamMemSize, 8, false, flags, addr);
                if (addr == 0) _memSizeRemaining = 0;
                return;
            case (ulong)RamFlags.Zero:
                byte fill = input.Peek(pos + 1)[pos];
                r.SetItem(IterativeItemKind.RamZero, pos + 1, false, flags, addr, block, pos, 1, fill);
                return;
            case (ulong)RamFlags.Page:
                if (pageSize == 0) pageSize = InferPageSize(r, pos);
                // The page bytes are read only when asked for (ItemData); otherwise they are skipped.
                r.SetItem(IterativeItemKind.RamPage, pos + pageSize, false, flags, addr, block, pos, pageSize);
                return;
            case (ulong)RamFlags.Xbzrle:
                var x = input.Peek(pos + 3);
                if (x[pos] != 1)
                    throw new VmStateFormatException(VmStateError.BadRam, at + pos, "XBZRLE encoding byte 0x01", "0x" + x[pos].ToString("x2", CultureInfo.InvariantCulture),
                        "Failed to load XBZRLE page - wrong compression!");
                int xl = BinaryPrimitives.ReadUInt16BigEndian(x[(pos + 1)..]);
                if (pageSize > 0 && xl > pageSize)
                    throw new VmStateFormatException(VmStateError.BadRam, at + pos + 1, "an XBZRLE length ≤ the page size", xl.ToString(CultureInfo.InvariantCulture),
                        "Failed to load XBZRLE page - len overflow!");
                input.Peek(pos + 3 + xl);
                r.SetItem(IterativeItemKind.RamXbzrle, pos + 3 + xl, false, flags, addr, block, pos + 3, xl);
                return;
            case (ulong)RamFlags.CompressPage:
                uint cl = BinaryPrimitives.ReadUInt32BigEndian(input.Peek(pos + 4)[pos..]);
                long ps = pageSize > 0 ? pageSize : 65536;
                long bound = ps + (ps >> 12) + (ps >> 14) + (ps >> 25) + 13; // zlib compressBound
                if (cl > bound)
                    throw new VmStateFormatException(VmStateError.BadRam, at + pos, "a compressed length ≤ compressBound(page size)", cl.ToString(CultureInfo.InvariantCulture),
                        string.Create(CultureInfo.InvariantCulture, $"Invalid compressed data length: {(int)cl}"));
                input.Peek(pos + 4 + (int)cl);
                r.SetItem(IterativeItemKind.RamCompressedPage, pos + 4 + cl, false, flags, addr, block, pos + 4, (int)cl);
                return;
            case (ulong)RamFlags.MultifdFlush:
                r.SetItem(IterativeItemKind.RamMultifdFlush, 8, false, flags, addr);
                return;
            case (ulong)RamFlags.Hook:
                r.SetItem(IterativeItemKind.RamHook, 8, false, flags, addr);
                return;
            case (ulong)RamFlags.Eos:
                r.SetItem(IterativeItemKind.RamEos, 8, true, flags, addr);
                return;
            default:
                throw new VmStateFormatException(VmStateError.BadRam, at, "a RAM record header (one of ZERO, MEM_SIZE, PAGE, EOS, XBZRLE, HOOK, COMPRESS_PAGE, MULTIFD_FLUSH, with or without CONTINUE)",
                    VmStateReader.Hex(v), "Unknown combination of migration flags: 0x" + flags.ToString("x", CultureInfo.InvariantCulture));
        }
    }

    private RamBlock? FindBlock(ReadOnlySpan<byte> name)
    {
        if (_currentBlock is { } c && name.SequenceEqual(c.NameBytes)) return c;
        foreach (var b in _blocks)
            if (name.SequenceEqual(b.NameBytes)) return b;
        return null;
    }

    private void ReadBlockEntry(VmStateReader r)
    {
        var input = r.Input;
        long at = input.Position;
        int n = input.Peek(1)[0];
        if (n == 0)
            throw new VmStateFormatException(VmStateError.BadRam, at, "a RAM block name", "length 0");
        var nameBytes = input.Peek(1 + n).Slice(1, n).ToArray();
        int pos = 1 + n;
        ulong used = BinaryPrimitives.ReadUInt64BigEndian(input.Peek(pos + 8)[pos..]);
        pos += 8;
        if (used > _memSizeRemaining)
            throw new VmStateFormatException(VmStateError.BadRam, at + 1 + n, "a used_length within the MEM_SIZE total (0x" + _memSizeRemaining.ToString("x", CultureInfo.InvariantCulture) + " left)",
                VmStateReader.Hex(used));
        ulong? pageWord = null, address = null;
        // Condition A (§11.2): a postcopy page-size word, present only for blocks whose page size differs from the host's.
        ulong summary = r.PostcopySummary;
        if (summary != 0 && r.PageSize > 0 && summary != (ulong)r.PageSize && input.Ensure(pos + 8))
        {
            ulong w = BinaryPrimitives.ReadUInt64BigEndian(input.Peek(pos + 8)[pos..]);
            if (BitOperations.IsPow2(w) && (w & summary) != 0 && w > 0x1000)
            {
                pageWord = w;
                pos += 8;
            }
        }
        var caps = r.Configuration?.Capabilities;
        if (caps is not null && caps.Contains("x-ignore-shared"))
        {
            address = BinaryPrimitives.ReadUInt64BigEndian(input.Peek(pos + 8)[pos..]);
            pos += 8;
        }
        MappedRamHeader? mapped = null;
        if (caps is not null && caps.Contains("mapped-ram"))
        {
            var m = input.Peek(pos + 28)[pos..];
            mapped = new MappedRamHeader(BinaryPrimitives.ReadUInt32BigEndian(m), BinaryPrimitives.ReadUInt64BigEndian(m[4..]),
                BinaryPrimitives.ReadUInt64BigEndian(m[12..]), BinaryPrimitives.ReadUInt64BigEndian(m[20..]));
            pos += 28;
        }
        var block = new RamBlock
        {
            Name = Encoding.Latin1.GetString(nameBytes), NameBytes = nameBytes, UsedLength = used,
            PageSizeWord = pageWord, Address = address, MappedRam = mapped,
        };
        _blocks.Add(block);
        _memSizeRemaining -= used;
        r.SetItem(IterativeItemKind.RamBlockEntry, pos, false, block: block);
        if (mapped is { } mh)
        {
            // The block's bitmap and pages live out of band; the stream resumes after them (§11.6).
            long here = at + pos;
            long bitmapAt = (long)Math.Min(mh.BitmapOffset, long.MaxValue) - r.MappedRamBase;
            long resume = (long)Math.Min(mh.PagesOffset + used, long.MaxValue) - r.MappedRamBase;
            if (mh.Version != 1 || mh.PageSize == 0 || bitmapAt < here || resume < here || bitmapAt > resume)
                throw new VmStateFormatException(VmStateError.BadRam, here - 28, "a mapped-ram header (version 1, offsets after it)",
                    string.Create(CultureInfo.InvariantCulture, $"version {mh.Version}, bitmap 0x{mh.BitmapOffset:x}, pages 0x{mh.PagesOffset:x}"));
            _pendingRegion = (block, here, resume - here);
        }
    }

    private void ReadMappedRegion(VmStateReader r, (RamBlock Block, long Offset, long Length) region)
    {
        _pendingRegion = null;
        var layout = MappedRamRegion.Of(region.Block, region.Offset, region.Length, r.MappedRamBase);
        long bitmapEnd = layout.BitmapAt + layout.BitmapLength;
        long present = 0;
        // The count is for summaries; a bitmap beyond the lookahead limit is left to those who read the region.
        if (bitmapEnd <= region.Length && bitmapEnd <= r.Options.MaxRecordLength)
            present = layout.PresentPages(r.Input.Peek((int)bitmapEnd)[(int)layout.BitmapAt..]).Count();
        r.SetItem(IterativeItemKind.RamMappedRegion, region.Length, false, block: region.Block, present: present);
    }

    // §11.7: the candidate size after which the next be64 is a plausible RAM record header.
    private static int InferPageSize(VmStateReader r, int headerLength)
    {
        var input = r.Input;
        foreach (int size in (ReadOnlySpan<int>)[4096, 1024, 2048, 8192, 16384, 65536])
        {
            if (!input.Ensure(headerLength + size + 8)) continue;
            ulong next = BinaryPrimitives.ReadUInt64BigEndian(input.Peek(headerLength + size + 8)[(headerLength + size)..]);
            ulong f = next & (ulong)(size - 1);
            ulong k = f & ~(ulong)RamFlags.Continue;
            bool plausible = k is (ulong)RamFlags.Eos or (ulong)RamFlags.MultifdFlush
                || ((f & (ulong)RamFlags.Continue) != 0 && k is (ulong)RamFlags.Zero or (ulong)RamFlags.Page or (ulong)RamFlags.Xbzrle or (ulong)RamFlags.CompressPage)
                || (k is (ulong)RamFlags.Zero or (ulong)RamFlags.Page && input.Ensure(headerLength + size + 9));
            if (plausible)
            {
                r.SetPageSize(size, PageSizeSource.Inferred);
                r.AddDiagnostic(new Diagnostic(input.Position, string.Create(CultureInfo.InvariantCulture, $"RAM page size inferred from the first page record: {size}")) { Kind = DiagnosticKind.PageSizeGuessed });
                return size;
            }
        }
        r.SetPageSize(4096, PageSizeSource.Assumed);
        r.AddDiagnostic(new Diagnostic(input.Position, "RAM page size unknown: assuming 4096") { Kind = DiagnosticKind.PageSizeGuessed });
        return 4096;
    }
}
