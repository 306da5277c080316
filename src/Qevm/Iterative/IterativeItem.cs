namespace Qevm.Iterative;

/// <summary>
/// One record inside an iterative section's data. Offsets are absolute. The number a record header carries
/// besides its flags means something different per format; it is read through the property of its meaning
/// (<see cref="PageOffset"/>, <see cref="MemSize"/>, <see cref="Sector"/>, <see cref="Progress"/>, <see cref="Frame"/>,
/// <see cref="HtabShift"/>, <see cref="HpteIndex"/>), which is 0 for records of other kinds.
/// </summary>
public readonly record struct IterativeItem
{
    // One word behind all the typed properties: the header's upper bits as read, so that a copy writes them back
    // whatever the kind (an EOS with stray address bits stays byte-identical).
    private readonly ulong _value;

    /// <summary>What the record is.</summary>
    public IterativeItemKind Kind { get; init; }

    /// <summary>Offset of the record's first byte.</summary>
    public long Offset { get; init; }

    /// <summary>Total bytes of the record in the stream.</summary>
    public long Length { get; init; }

    /// <summary>Flag bits of the record header (RAM: <see cref="RamFlags"/>).</summary>
    public ulong Flags { get; init; }

    /// <summary>RAM ZERO, PAGE, XBZRLE and COMPRESS_PAGE records: byte offset of the page within <see cref="Block"/>.</summary>
    public ulong PageOffset { get => IsRamPage(Kind) ? _value : 0; init => _value = value; }

    /// <summary>RAM <c>MEM_SIZE</c>: the total <c>used_length</c> of the blocks listed after it.</summary>
    public ulong MemSize { get => Kind == IterativeItemKind.RamMemSize ? _value : 0; init => _value = value; }

    /// <summary>(7.2) block migration chunk: its first 512-byte sector on the device.</summary>
    public ulong Sector { get => Kind == IterativeItemKind.BlockChunk ? _value : 0; init => _value = value; }

    /// <summary>(7.2) block migration progress record: the percentage done.</summary>
    public ulong Progress { get => Kind == IterativeItemKind.BlockProgress ? _value : 0; init => _value = value; }

    /// <summary>s390 storage attributes MORE record: the guest frame number of its first attribute byte.</summary>
    public ulong Frame { get => Kind == IterativeItemKind.StorageAttributesMore ? _value : 0; init => _value = value; }

    /// <summary>spapr/htab header: log2 of the hash table size, <c>0xFFFFFFFF</c> for no HPT, or 0 when chunks follow.</summary>
    public uint HtabShift { get => Kind == IterativeItemKind.HtabHeader ? (uint)_value : 0; init => _value = value; }

    /// <summary>spapr/htab chunk: index of its first HPTE in the table.</summary>
    public uint HpteIndex { get => Kind == IterativeItemKind.HtabChunk ? (uint)_value : 0; init => _value = value; }

    /// <summary>The header's number whatever it means (what a writer puts beside <see cref="Flags"/>).</summary>
    internal ulong Value { get => _value; init => _value = value; }

    /// <summary>RAM: the block the record is about (CONTINUE resolved); block entries: the entry.</summary>
    public RamBlock? Block { get; init; }

    /// <summary>Offset of the payload (page bytes, XBZRLE or zlib data) relative to <see cref="Offset"/>.</summary>
    public int DataOffset { get; init; }

    /// <summary>Length of that payload.</summary>
    public int DataLength { get; init; }

    /// <summary>RAM zero page fill byte.</summary>
    public byte FillByte { get; init; }

    /// <summary>mapped-ram regions: number of pages the bitmap marks present.</summary>
    public long PresentPages { get; init; }

    private static bool IsRamPage(IterativeItemKind kind) => kind is >= IterativeItemKind.RamZero and <= IterativeItemKind.RamCompressedPage;
}
