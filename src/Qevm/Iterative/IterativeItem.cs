namespace Qevm.Iterative;

/// <summary>One record inside an iterative section's data. Offsets are absolute.</summary>
public readonly record struct IterativeItem
{
    /// <summary>What the record is.</summary>
    public IterativeItemKind Kind { get; init; }

    /// <summary>Offset of the record's first byte.</summary>
    public long Offset { get; init; }

    /// <summary>Total bytes of the record in the stream.</summary>
    public long Length { get; init; }

    /// <summary>Flag bits of the record header (RAM: <see cref="RamFlags"/>).</summary>
    public ulong Flags { get; init; }

    /// <summary>RAM: byte offset within the block; block: sector; storage attributes: frame; MEM_SIZE: total.</summary>
    public ulong Address { get; init; }

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
}
