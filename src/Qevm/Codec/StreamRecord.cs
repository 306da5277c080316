namespace Qevm;

/// <summary>A record of a stream kept whole, so that the stream can be written again (<c>dump --json</c> → <c>compose</c>).</summary>
public sealed class StreamRecord
{
    /// <summary>The record type.</summary>
    public RecordType Type { get; init; }

    /// <summary>Offset of the record.</summary>
    public long Offset { get; init; }

    /// <summary>Section records and footers: the section.</summary>
    public SectionHeader? Section { get; init; }

    /// <summary>Commands: the number.</summary>
    public ushort Command { get; init; }

    /// <summary>Header version, configuration data (after 0x07), command payload, trailer JSON.</summary>
    public byte[] Data { get; init; } = [];

    /// <summary>FULL sections: index in <see cref="StateDump.Sections"/>.</summary>
    public int SectionIndex { get; init; } = -1;

    /// <summary>START/PART/END: the records of the section's data.</summary>
    public List<StreamItem> Items { get; } = [];
}

/// <summary>One record of an iterative section: its bytes, or for a mapped-ram region its bitmap and present pages.</summary>
public sealed class StreamItem
{
    /// <summary>The item's bytes (null for a mapped-ram region).</summary>
    public byte[]? Bytes { get; init; }

    /// <summary>A mapped-ram region (§11.6): length, bitmap and the pages it marks present; the rest is holes.</summary>
    public MappedRegion? Region { get; init; }
}

/// <summary>A mapped-ram page region, offsets relative to its start.</summary>
/// <param name="Length">Bytes from the end of the block's header to where the stream resumes.</param>
/// <param name="BitmapAt">Offset of the bitmap.</param>
/// <param name="Bitmap">The bitmap bytes.</param>
/// <param name="PagesAt">Offset of page 0.</param>
/// <param name="PageSize">Page size.</param>
/// <param name="Pages">Present pages: index and content.</param>
public sealed record MappedRegion(long Length, long BitmapAt, byte[] Bitmap, long PagesAt, int PageSize, List<(long Index, byte[] Page)> Pages);
