namespace Qevm.Summary;

/// <summary>
/// Where a stream's RAM records fall, per RAM block in a fixed number of buckets, and how many pages each pass
/// over guest RAM sent (a live migration's iterations). Built from the RAM items of one forward read, in memory
/// that does not grow with the stream: a bit per guest page (to tell pages sent again) and the buckets.
/// </summary>
public sealed class RamMap
{
    /// <summary>Buckets per block.</summary>
    public const int BucketCount = 256;

    private readonly Dictionary<RamBlock, RamBlockMap> _blocks = new(ReferenceEqualityComparer.Instance);
    private readonly List<RamBlockMap> _order = [];
    private readonly List<long> _passes = [];
    private int _lastBlock = -1;
    private ulong _lastOffset;

    /// <summary>The blocks, in the order their first record came.</summary>
    public IReadOnlyList<RamBlockMap> Blocks => _order;

    /// <summary>
    /// Pages sent per pass: a pass ends where the records go back to an earlier block or offset (QEMU's next
    /// round over the dirty bitmap).
    /// </summary>
    public IReadOnlyList<long> PagesPerPass => _passes;

    /// <summary>Counts the reader's current item, when it is a RAM page record (call it for every item).</summary>
    public void Add(VmStateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ref readonly var item = ref reader.Item;
        if (item.Block is not { } block) return;
        switch (item.Kind)
        {
            case IterativeItemKind.RamZero or IterativeItemKind.RamPage or IterativeItemKind.RamXbzrle or IterativeItemKind.RamCompressedPage:
                Page(reader, block, item.PageOffset, item.Kind);
                break;
            case IterativeItemKind.RamMappedRegion:
                var region = reader.MappedRegion;
                foreach (var p in region.PresentPages(reader.ReadMappedBitmap())) Page(reader, block, p.BlockOffset, IterativeItemKind.RamPage);
                break;
        }
    }

    private void Page(VmStateReader reader, RamBlock block, ulong offset, IterativeItemKind kind)
    {
        if (!_blocks.TryGetValue(block, out var map))
        {
            map = new RamBlockMap(block.Name, block.UsedLength, Math.Max(reader.PageSize, 1), _order.Count);
            _blocks.Add(block, map);
            _order.Add(map);
        }
        int index = map.Index;
        if (_passes.Count == 0 || index < _lastBlock || (index == _lastBlock && offset < _lastOffset)) _passes.Add(0);
        _passes[^1]++;
        _lastBlock = index;
        _lastOffset = offset;
        map.Count(offset, kind);
    }
}

/// <summary>The records of one RAM block, by where they fall in it.</summary>
public sealed class RamBlockMap
{
    private readonly byte[] _seen;

    internal RamBlockMap(string name, ulong length, int pageSize, int index)
    {
        Index = index;
        Name = name;
        Length = length;
        PageSize = pageSize;
        // A bit per page, up to 2^29 pages (2 TiB of 4 KiB pages); a block's length is the stream's word, so a damaged
        // one must not decide how much is allocated: pages past the cap are not told apart as sent again.
        _seen = new byte[(int)Math.Min(length / (ulong)pageSize / 8 + 1, 1UL << 26)];
    }

    internal int Index { get; }

    /// <summary>The block's name (<c>pc.ram</c>).</summary>
    public string Name { get; }

    /// <summary>Its used length in bytes.</summary>
    public ulong Length { get; }

    /// <summary>The page size the records use.</summary>
    public int PageSize { get; }

    /// <summary>ZERO records per bucket.</summary>
    public long[] Zero { get; } = new long[RamMap.BucketCount];

    /// <summary>PAGE records (and mapped-ram pages) per bucket.</summary>
    public long[] Data { get; } = new long[RamMap.BucketCount];

    /// <summary>XBZRLE records per bucket.</summary>
    public long[] Xbzrle { get; } = new long[RamMap.BucketCount];

    /// <summary>Compressed page records per bucket.</summary>
    public long[] Compressed { get; } = new long[RamMap.BucketCount];

    /// <summary>Records of pages sent before, per bucket.</summary>
    public long[] Resent { get; } = new long[RamMap.BucketCount];

    internal void Count(ulong offset, IterativeItemKind kind)
    {
        int bucket = Length == 0 ? 0 : (int)Math.Min(RamMap.BucketCount - 1, (ulong)((UInt128)offset * RamMap.BucketCount / Length));
        (kind switch
        {
            IterativeItemKind.RamZero => Zero,
            IterativeItemKind.RamXbzrle => Xbzrle,
            IterativeItemKind.RamCompressedPage => Compressed,
            _ => Data,
        })[bucket]++;
        ulong page = offset / (ulong)PageSize;
        if (page / 8 >= (ulong)_seen.Length) return;
        byte bit = (byte)(1 << (int)(page % 8));
        if ((_seen[page / 8] & bit) != 0) Resent[bucket]++;
        else _seen[page / 8] |= bit;
    }
}
