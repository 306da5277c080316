using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Qevm.Streams;

public sealed partial class VmStateReader
{
    private enum Handler { Ram, Block, DirtyBitmap, Htab, StorageAttributes, Opaque }

    private readonly List<RamBlock> _ramBlocks = [];
    private bool _itemsActive;
    private Handler _handler;
    private RamBlock? _currentBlock;
    private ulong _memSizeRemaining;
    private bool _htabChunks;
    private IterativeItem _item;

    /// <summary>The current record of an iterative section's data (after <see cref="ReadItem"/> returned true).</summary>
    public ref readonly IterativeItem Item => ref _item;

    /// <summary>All bytes of the current item (not for <see cref="IterativeItemKind.RamMappedRegion"/>).</summary>
    public ReadOnlySpan<byte> ItemBytes => _in.Peek(checked((int)_pending));

    /// <summary>The payload of the current item: page bytes, XBZRLE or zlib data.</summary>
    public ReadOnlySpan<byte> ItemData => _in.Peek(checked((int)_pending)).Slice(_item.DataOffset, _item.DataLength);

    /// <summary>
    /// True when <see cref="ItemData"/> spans stay valid until <paramref name="beforeRelease"/> is called (a memory-mapped
    /// input), which then registers it; false otherwise (spans valid only until the next read).
    /// </summary>
    internal bool KeepItemData(Action beforeRelease)
    {
        if (!_in.StableSpans) return false;
        _in.BeforeRelease = beforeRelease;
        return true;
    }

    /// <summary>
    /// Reads bytes of the current <see cref="IterativeItemKind.RamMappedRegion"/> at an offset relative to its start
    /// (bitmap, pages). Needs a seekable input.
    /// </summary>
    public void ReadRegion(long offset, Span<byte> destination)
    {
        if (_item.Kind != IterativeItemKind.RamMappedRegion || offset < 0 || offset + destination.Length > _item.Length)
            throw new InvalidOperationException("no mapped-ram region at hand, or a range outside it");
        _in.ReadAt(_item.Offset + offset, destination);
    }

    /// <summary>Same as <see cref="ReadRegion(long, Span{byte})"/>, into a new array.</summary>
    public byte[] ReadRegion(long offset, int count)
    {
        var b = new byte[count];
        ReadRegion(offset, b);
        return b;
    }

    /// <summary>
    /// Where the current <see cref="IterativeItemKind.RamMappedRegion"/>'s bitmap and page area start, relative to the
    /// region (the header's offsets are absolute in the file QEMU wrote: see <see cref="VmStateReaderOptions.MappedRamBase"/>).
    /// </summary>
    public (long BitmapAt, long PagesAt) MappedRegionLayout
    {
        get
        {
            var (_, m) = MappedRegion();
            return ((long)m.BitmapOffset - _mappedRamBase - _item.Offset, (long)m.PagesOffset - _mappedRamBase - _item.Offset);
        }
    }

    /// <summary>The current <see cref="IterativeItemKind.RamMappedRegion"/>'s page count and bitmap.</summary>
    public (long Pages, byte[] Bitmap) ReadMappedBitmap()
    {
        var (block, m) = MappedRegion();
        long pages = (long)(block.UsedLength / m.PageSize);
        return (pages, ReadRegion(MappedRegionLayout.BitmapAt, MappedRamHeader.BitmapLength(pages)));
    }

    /// <summary>Page <paramref name="index"/> of the current mapped-ram region, from the page area.</summary>
    public void ReadMappedPage(long index, Span<byte> page)
    {
        var (_, m) = MappedRegion();
        ReadRegion(MappedRegionLayout.PagesAt + index * (long)m.PageSize, page);
    }

    private (RamBlock, MappedRamHeader) MappedRegion() =>
        _item is { Kind: IterativeItemKind.RamMappedRegion, Block: { MappedRam: { } m } block }
            ? (block, m)
            : throw new InvalidOperationException("no mapped-ram region at hand");

    private void BeginItems(SectionHeader h)
    {
        PayloadLength = -1;
        _awaitFooter = true;
        _itemsActive = true;
        _htabChunks = false;
        _handler = h.Idstr switch
        {
            "ram" => Handler.Ram,
            "block" => Handler.Block,
            "dirty-bitmap" => Handler.DirtyBitmap,
            "spapr/htab" => Handler.Htab,
            "s390-storage_attributes" => Handler.StorageAttributes,
            _ => Handler.Opaque,
        };
        if (_handler == Handler.Ram && h.VersionId != 4)
            throw new VmStateFormatException(VmStateError.BadRam, PayloadOffset - 4, "ram section version 4", h.VersionId.ToString(CultureInfo.InvariantCulture),
                "error while loading state for instance 0x0 of device 'ram'");
    }

    /// <summary>Reads the next record of the current iterative section's data; false after its end marker.</summary>
    public bool ReadItem()
    {
        try
        {
            ConsumePending();
            if (!_itemsActive) return false;
            switch (_handler)
            {
                case Handler.Ram: ParseRam(); break;
                case Handler.Block: ParseBlock(); break;
                case Handler.DirtyBitmap: ParseBitmap(); break;
                case Handler.Htab: ParseHtab(); break;
                case Handler.StorageAttributes: ParseStorageAttributes(); break;
                default: ParseOpaque(); break;
            }
        }
        catch (VmStateFormatException e) when (e.Record is null)
        {
            throw e.WithRecord(Describe());
        }
        return true;
    }

    private void SetItem(IterativeItemKind kind, long length, bool last, ulong flags = 0, ulong address = 0, RamBlock? block = null,
        int dataOffset = 0, int dataLength = 0, byte fill = 0, long present = 0)
    {
        _item = new IterativeItem
        {
            Kind = kind, Offset = _in.Position, Length = length, Flags = flags, Address = address, Block = block,
            DataOffset = dataOffset, DataLength = dataLength, FillByte = fill, PresentPages = present,
        };
        _pending = length;
        if (last) _itemsActive = false;
    }

    private void ParseRam()
    {
        long at = _in.Position;
        if (_pendingRegion is { } region)
        {
            ParseMappedRegion(region);
            return;
        }
        if (_memSizeRemaining > 0)
        {
            ParseRamBlockEntry();
            return;
        }
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(_mapped is { } m ? m.Peek(8) : _in.Peek(8));
        ulong mask = PageSize > 0 ? (ulong)PageSize - 1 : 0x3FF;
        ulong flags = v & mask, addr = v & ~mask;
        ulong kind = flags & ~(ulong)RamFlags.Continue;
        int pos = 8;
        RamBlock? block = null;
        // ram.c reads the block name whenever a page kind is among the bits, before it rejects a combination.
        if ((flags & (ulong)(RamFlags.Zero | RamFlags.Page | RamFlags.Xbzrle | RamFlags.CompressPage)) != 0)
        {
            if ((flags & (ulong)RamFlags.Continue) == 0)
            {
                int n = _in.Peek(9)[8];
                var name = _in.Peek(9 + n).Slice(9, n);
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
                    Hex(addr), "Illegal RAM offset " + addr.ToString("x", CultureInfo.InvariantCulture));
        }
        switch (kind)
        {
            case (ulong)RamFlags.MemSize:
                _ramBlocks.Clear();
                _memSizeRemaining = addr;
                SetItem(IterativeItemKind.RamMemSize, 8, false, flags, addr);
                if (addr == 0) _memSizeRemaining = 0;
                return;
            case (ulong)RamFlags.Zero:
                byte fill = _in.Peek(pos + 1)[pos];
                SetItem(IterativeItemKind.RamZero, pos + 1, false, flags, addr, block, pos, 1, fill);
                return;
            case (ulong)RamFlags.Page:
                if (PageSize == 0) InferPageSize(pos);
                // The page bytes are read only when asked for (ItemData); otherwise they are skipped.
                SetItem(IterativeItemKind.RamPage, pos + PageSize, false, flags, addr, block, pos, PageSize);
                return;
            case (ulong)RamFlags.Xbzrle:
                var x = _in.Peek(pos + 3);
                if (x[pos] != 1)
                    throw new VmStateFormatException(VmStateError.BadRam, at + pos, "XBZRLE encoding byte 0x01", "0x" + x[pos].ToString("x2", CultureInfo.InvariantCulture),
                        "Failed to load XBZRLE page - wrong compression!");
                int xl = BinaryPrimitives.ReadUInt16BigEndian(x[(pos + 1)..]);
                if (PageSize > 0 && xl > PageSize)
                    throw new VmStateFormatException(VmStateError.BadRam, at + pos + 1, "an XBZRLE length ≤ the page size", xl.ToString(CultureInfo.InvariantCulture),
                        "Failed to load XBZRLE page - len overflow!");
                _in.Peek(pos + 3 + xl);
                SetItem(IterativeItemKind.RamXbzrle, pos + 3 + xl, false, flags, addr, block, pos + 3, xl);
                return;
            case (ulong)RamFlags.CompressPage:
                uint cl = BinaryPrimitives.ReadUInt32BigEndian(_in.Peek(pos + 4)[pos..]);
                long ps = PageSize > 0 ? PageSize : 65536;
                long bound = ps + (ps >> 12) + (ps >> 14) + (ps >> 25) + 13; // zlib compressBound
                if (cl > bound)
                    throw new VmStateFormatException(VmStateError.BadRam, at + pos, "a compressed length ≤ compressBound(page size)", cl.ToString(CultureInfo.InvariantCulture),
                        string.Create(CultureInfo.InvariantCulture, $"Invalid compressed data length: {(int)cl}"));
                _in.Peek(pos + 4 + (int)cl);
                SetItem(IterativeItemKind.RamCompressedPage, pos + 4 + cl, false, flags, addr, block, pos + 4, (int)cl);
                return;
            case (ulong)RamFlags.MultifdFlush:
                SetItem(IterativeItemKind.RamMultifdFlush, 8, false, flags, addr);
                return;
            case (ulong)RamFlags.Hook:
                SetItem(IterativeItemKind.RamHook, 8, false, flags, addr);
                return;
            case (ulong)RamFlags.Eos:
                SetItem(IterativeItemKind.RamEos, 8, true, flags, addr);
                return;
            default:
                throw new VmStateFormatException(VmStateError.BadRam, at, "a RAM record header (one of ZERO, MEM_SIZE, PAGE, EOS, XBZRLE, HOOK, COMPRESS_PAGE, MULTIFD_FLUSH, with or without CONTINUE)",
                    Hex(v), "Unknown combination of migration flags: 0x" + flags.ToString("x", CultureInfo.InvariantCulture));
        }
    }

    private RamBlock? FindBlock(ReadOnlySpan<byte> name)
    {
        if (_currentBlock is { } c && name.SequenceEqual(c.NameBytes)) return c;
        foreach (var b in _ramBlocks)
            if (name.SequenceEqual(b.NameBytes)) return b;
        return null;
    }

    private void ParseRamBlockEntry()
    {
        long at = _in.Position;
        int n = _in.Peek(1)[0];
        if (n == 0)
            throw new VmStateFormatException(VmStateError.BadRam, at, "a RAM block name", "length 0");
        var nameBytes = _in.Peek(1 + n).Slice(1, n).ToArray();
        int pos = 1 + n;
        ulong used = BinaryPrimitives.ReadUInt64BigEndian(_in.Peek(pos + 8)[pos..]);
        pos += 8;
        if (used > _memSizeRemaining)
            throw new VmStateFormatException(VmStateError.BadRam, at + 1 + n, "a used_length within the MEM_SIZE total (0x" + _memSizeRemaining.ToString("x", CultureInfo.InvariantCulture) + " left)",
                Hex(used));
        ulong? pageWord = null, address = null;
        // Condition A (§11.2): a postcopy page-size word, present only for blocks whose page size differs from the host's.
        if (_postcopySummary != 0 && PageSize > 0 && _postcopySummary != (ulong)PageSize && _in.Ensure(pos + 8))
        {
            ulong w = BinaryPrimitives.ReadUInt64BigEndian(_in.Peek(pos + 8)[pos..]);
            if (BitOperations.IsPow2(w) && (w & _postcopySummary) != 0 && w > 0x1000)
            {
                pageWord = w;
                pos += 8;
            }
        }
        var caps = Configuration?.Capabilities;
        if (caps is not null && caps.Contains("x-ignore-shared"))
        {
            address = BinaryPrimitives.ReadUInt64BigEndian(_in.Peek(pos + 8)[pos..]);
            pos += 8;
        }
        MappedRamHeader? mapped = null;
        if (caps is not null && caps.Contains("mapped-ram"))
        {
            var m = _in.Peek(pos + 28)[pos..];
            mapped = new MappedRamHeader(BinaryPrimitives.ReadUInt32BigEndian(m), BinaryPrimitives.ReadUInt64BigEndian(m[4..]),
                BinaryPrimitives.ReadUInt64BigEndian(m[12..]), BinaryPrimitives.ReadUInt64BigEndian(m[20..]));
            pos += 28;
        }
        var block = new RamBlock
        {
            Name = Encoding.Latin1.GetString(nameBytes), NameBytes = nameBytes, UsedLength = used,
            PageSizeWord = pageWord, Address = address, MappedRam = mapped,
        };
        _ramBlocks.Add(block);
        _memSizeRemaining -= used;
        SetItem(IterativeItemKind.RamBlockEntry, pos, false, block: block);
        if (mapped is { } mh)
        {
            // The block's bitmap and pages live out of band; the stream resumes after them (§11.6).
            long here = at + pos;
            long bitmapAt = (long)Math.Min(mh.BitmapOffset, long.MaxValue) - _mappedRamBase;
            long resume = (long)Math.Min(mh.PagesOffset + used, long.MaxValue) - _mappedRamBase;
            if (mh.Version != 1 || mh.PageSize == 0 || bitmapAt < here || resume < here || bitmapAt > resume)
                throw new VmStateFormatException(VmStateError.BadRam, here - 28, "a mapped-ram header (version 1, offsets after it)",
                    string.Create(CultureInfo.InvariantCulture, $"version {mh.Version}, bitmap 0x{mh.BitmapOffset:x}, pages 0x{mh.PagesOffset:x}"));
            _pendingRegion = (block, here, resume - here);
        }
    }

    private void ParseMappedRegion((RamBlock Block, long Offset, long Length) r)
    {
        _pendingRegion = null;
        var mh = r.Block.MappedRam!.Value;
        long pages = (long)(r.Block.UsedLength / mh.PageSize);
        long bitmapBytes = MappedRamHeader.BitmapLength(pages);
        long bitmapAt = (long)mh.BitmapOffset - _mappedRamBase - r.Offset;
        long present = 0;
        if (bitmapAt + bitmapBytes <= r.Length && bitmapAt + bitmapBytes <= _options.MaxRecordLength)
        {
            var bitmap = _in.Peek((int)(bitmapAt + bitmapBytes))[(int)bitmapAt..];
            for (long i = 0; i < pages; i++)
                if (MappedRamHeader.IsPresent(bitmap, i)) present++;
        }
        SetItem(IterativeItemKind.RamMappedRegion, r.Length, false, block: r.Block, present: present);
    }

    private (RamBlock Block, long Offset, long Length)? _pendingRegion;

    private void InferPageSize(int headerLength)
    {
        // §11.7: the candidate size after which the next be64 is a plausible RAM record header.
        foreach (int size in (ReadOnlySpan<int>)[4096, 1024, 2048, 8192, 16384, 65536])
        {
            if (!_in.Ensure(headerLength + size + 8)) continue;
            ulong next = BinaryPrimitives.ReadUInt64BigEndian(_in.Peek(headerLength + size + 8)[(headerLength + size)..]);
            ulong f = next & (ulong)(size - 1);
            ulong k = f & ~(ulong)RamFlags.Continue;
            bool plausible = k is (ulong)RamFlags.Eos or (ulong)RamFlags.MultifdFlush
                || ((f & (ulong)RamFlags.Continue) != 0 && k is (ulong)RamFlags.Zero or (ulong)RamFlags.Page or (ulong)RamFlags.Xbzrle or (ulong)RamFlags.CompressPage)
                || (k is (ulong)RamFlags.Zero or (ulong)RamFlags.Page && _in.Ensure(headerLength + size + 9));
            if (plausible)
            {
                SetPageSize(size, "inferred");
                _diagnostics.Add(new Diagnostic(_in.Position, string.Create(CultureInfo.InvariantCulture, $"RAM page size inferred from the first page record: {size}")));
                return;
            }
        }
        SetPageSize(4096, "assumed");
        _diagnostics.Add(new Diagnostic(_in.Position, "RAM page size unknown: assuming 4096"));
    }

    private void ParseBlock()
    {
        // §12.1 (7.2 migration/block.c): be64 (sector << 9) | flags.
        long at = _in.Position;
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(_in.Peek(8));
        ulong flags = v & 0x1FF;
        bool eos = (flags & 0x02) != 0;
        if ((flags & 0x01) != 0)
        {
            int n = _in.Peek(9)[8];
            long len = 9 + n + ((flags & 0x08) != 0 ? 0 : 0x100000);
            _in.Peek((int)len);
            SetItem(IterativeItemKind.BlockChunk, len, eos, flags, v >> 9, dataOffset: 9 + n, dataLength: (int)len - 9 - n);
        }
        else if ((flags & 0x04) != 0)
        {
            SetItem(IterativeItemKind.BlockProgress, 8, eos, flags, v >> 9);
        }
        else if (eos)
        {
            SetItem(IterativeItemKind.BlockEos, 8, true, flags);
        }
        else
        {
            throw new VmStateFormatException(VmStateError.BadIterativeData, at, "block migration flags DEVICE_BLOCK, PROGRESS or EOS", Hex(flags),
                "Unknown block migration flags: 0x" + flags.ToString("x", CultureInfo.InvariantCulture));
        }
    }

    private void ParseBitmap()
    {
        // §12.2: 1, 2 or 4 flag bytes (the last one counts), optional names, then the chunk body.
        long at = _in.Position;
        int pos = 1;
        byte flags = _in.Peek(1)[0];
        if ((flags & 0x80) != 0)
        {
            flags = _in.Peek(2)[1];
            pos = 2;
            if ((flags & 0x80) != 0)
            {
                flags = _in.Peek(4)[3];
                pos = 4;
            }
        }
        if ((flags & 0x08) != 0) pos += 1 + _in.Peek(pos + 1)[pos];
        if ((flags & 0x04) != 0) pos += 1 + _in.Peek(pos + 1)[pos];
        if ((flags & 0x10) != 0)
        {
            byte bf = _in.Peek(pos + 5)[pos + 4];
            if ((bf & 0xF8) != 0)
                throw new VmStateFormatException(VmStateError.BadIterativeData, at + pos + 4, "dirty bitmap flags without reserved bits", Hex(bf),
                    "Unknown flags in migrated dirty bitmap header: " + bf.ToString("x", CultureInfo.InvariantCulture));
            pos += 5;
        }
        else if ((flags & 0x40) != 0)
        {
            pos += 12;
            if ((flags & 0x02) == 0)
            {
                ulong b = BinaryPrimitives.ReadUInt64BigEndian(_in.Peek(pos + 8)[pos..]);
                if (b > 10240)
                    throw new VmStateFormatException(VmStateError.BadIterativeData, at + pos, "a bitmap buffer of at most 10240 bytes", b.ToString(CultureInfo.InvariantCulture),
                        "Bitmap migration stream buffer allocation request is too large");
                pos += 8 + (int)b;
            }
        }
        _in.Peek(pos);
        bool eos = (flags & 0x01) != 0;
        SetItem(eos && (flags & 0x70) == 0 ? IterativeItemKind.BitmapEos : IterativeItemKind.BitmapChunk, pos, eos, flags);
    }

    private void ParseHtab()
    {
        // §12.3: be32 header; 0 means chunks follow until an all-zero chunk header.
        if (!_htabChunks)
        {
            uint hdr = BinaryPrimitives.ReadUInt32BigEndian(_in.Peek(4));
            _htabChunks = hdr == 0;
            SetItem(IterativeItemKind.HtabHeader, 4, hdr != 0, address: hdr);
            return;
        }
        var c = _in.Peek(8);
        uint index = BinaryPrimitives.ReadUInt32BigEndian(c);
        int valid = BinaryPrimitives.ReadUInt16BigEndian(c[4..]);
        int invalid = BinaryPrimitives.ReadUInt16BigEndian(c[6..]);
        if (index == 0 && valid == 0 && invalid == 0)
        {
            SetItem(IterativeItemKind.HtabEnd, 8, true);
            return;
        }
        _in.Peek(8 + valid * 16);
        SetItem(IterativeItemKind.HtabChunk, 8 + valid * 16, false, address: index, dataOffset: 8, dataLength: valid * 16);
    }

    private void ParseStorageAttributes()
    {
        // §12.4: be64 (gfn << 12) | flags.
        long at = _in.Position;
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(_in.Peek(8));
        ulong flags = v & 0xFFF;
        switch (flags)
        {
            case 0x01:
                SetItem(IterativeItemKind.StorageAttributesEos, 8, true, flags);
                return;
            case 0x08:
                SetItem(IterativeItemKind.StorageAttributesDone, 8, false, flags);
                return;
            case 0x02:
                ulong count = BinaryPrimitives.ReadUInt64BigEndian(_in.Peek(16)[8..]);
                if (count > (ulong)_options.MaxRecordLength - 16)
                    throw new VmStateFormatException(VmStateError.LimitExceeded, at + 8, "a storage attribute count within the reader's limit", count.ToString(CultureInfo.InvariantCulture));
                _in.Peek(16 + (int)count);
                SetItem(IterativeItemKind.StorageAttributesMore, 16 + (long)count, false, flags, v >> 12, dataOffset: 16, dataLength: (int)count);
                return;
            case 0x04:
                throw new VmStateFormatException(VmStateError.BadIterativeData, at, "storage attributes", "the ERROR flag", "Storage attributes data is incomplete");
            default:
                throw new VmStateFormatException(VmStateError.BadIterativeData, at, "storage attribute flags EOS, MORE, DONE", Hex(flags),
                    "Unexpected storage attribute flag data: 0x" + flags.ToString("x", CultureInfo.InvariantCulture));
        }
    }

    private void ParseOpaque()
    {
        var h = Section!;
        if (HasFooters == false)
            throw new VmStateFormatException(VmStateError.NeedsSchema, _in.Position, "a handler for iterative section '" + h.Idstr + "' or section footers", "neither");
        long len = ScanForFooter(h.SectionId);
        if (len < 0)
            throw new VmStateFormatException(VmStateError.BadFooter, _in.Position,
                string.Create(CultureInfo.InvariantCulture, $"footer 0x7E + be32 {h.SectionId} closing the data of '{h.Idstr}'"), "none",
                "Missing section footer for " + h.Idstr);
        SetItem(IterativeItemKind.Opaque, len, true, dataLength: (int)len);
    }
}
