using System.Buffers.Binary;
using System.Numerics;

namespace Qevm.Iterative.Ram;

/// <summary>
/// (10.0) Where a mapped-ram region's parts are (§11.6), as offsets relative to the region's start: the bitmap,
/// then each page at a fixed place in the page area whether it was sent or not (the rest are holes).
/// </summary>
/// <param name="Length">Bytes of the region, from the end of its block entry to where the stream resumes.</param>
/// <param name="BitmapAt">Where the bitmap starts.</param>
/// <param name="PagesAt">Where the page area starts.</param>
/// <param name="PageSize">Bytes of a page.</param>
/// <param name="Pages">Pages of the block (<c>used_length</c> / page size): bits of the bitmap that count.</param>
public readonly record struct MappedRamRegion(long Length, long BitmapAt, long PagesAt, long PageSize, long Pages)
{
    /// <summary>The region of <paramref name="block"/>'s mapped-ram header, starting at absolute offset <paramref name="start"/>.</summary>
    /// <param name="block">A block with a mapped-ram header.</param>
    /// <param name="start">Offset of the region in the input.</param>
    /// <param name="length">Bytes of the region.</param>
    /// <param name="mappedRamBase">Where the file QEMU wrote starts in the input (its offsets count from there).</param>
    public static MappedRamRegion Of(RamBlock block, long start, long length, long mappedRamBase = 0)
    {
        ArgumentNullException.ThrowIfNull(block);
        var m = block.MappedRam ?? throw new ArgumentException("the block has no mapped-ram header", nameof(block));
        return new MappedRamRegion(length, (long)m.BitmapOffset - mappedRamBase - start, (long)m.PagesOffset - mappedRamBase - start,
            (long)m.PageSize, (long)(block.UsedLength / m.PageSize));
    }

    /// <summary>Bytes of the bitmap.</summary>
    public int BitmapLength => MappedRamHeader.BitmapLength(Pages);

    /// <summary>Where page <paramref name="index"/> is, relative to the region.</summary>
    public long PageAt(long index) => PagesAt + index * PageSize;

    /// <summary>The pages <paramref name="bitmap"/> marks present, in order: the one walk over a mapped-ram bitmap.</summary>
    public MappedRamPages PresentPages(ReadOnlySpan<byte> bitmap) => new(this, bitmap);
}

/// <summary>One page a mapped-ram bitmap marks present.</summary>
/// <param name="Index">Page number within the block.</param>
/// <param name="BlockOffset">Byte offset of the page within the block (index × page size).</param>
/// <param name="At">Where the page's bytes are, relative to the region.</param>
public readonly record struct MappedRamPage(long Index, ulong BlockOffset, long At);

/// <summary>
/// Enumerates the set bits of a mapped-ram bitmap (64-bit little-endian host longs, §11.6) a word at a time, so that
/// the pages of a sparse block cost nothing per absent page.
/// </summary>
public ref struct MappedRamPages
{
    private readonly MappedRamRegion _region;
    private readonly ReadOnlySpan<byte> _bitmap;
    private long _word = -1;
    private ulong _bits;
    private MappedRamPage _current;

    internal MappedRamPages(MappedRamRegion region, ReadOnlySpan<byte> bitmap)
    {
        if (bitmap.Length < region.BitmapLength)
            throw new ArgumentException("the bitmap is shorter than the region's pages need", nameof(bitmap));
        _region = region;
        _bitmap = bitmap;
    }

    /// <summary>The enumerator itself (for <c>foreach</c>).</summary>
    public readonly MappedRamPages GetEnumerator() => this;

    /// <summary>The current page.</summary>
    public readonly MappedRamPage Current => _current;

    /// <summary>Advances to the next present page; false after the last.</summary>
    public bool MoveNext()
    {
        long pages = _region.Pages;
        while (_bits == 0)
        {
            if (++_word * 64 >= pages) return false;
            _bits = BinaryPrimitives.ReadUInt64LittleEndian(_bitmap.Slice((int)(_word * 8), 8));
            long left = pages - _word * 64;
            if (left < 64) _bits &= (1UL << (int)left) - 1; // bits past the block's last page do not count
        }
        long index = _word * 64 + BitOperations.TrailingZeroCount(_bits);
        _bits &= _bits - 1;
        _current = new MappedRamPage(index, (ulong)(index * _region.PageSize), _region.PageAt(index));
        return true;
    }

    /// <summary>How many pages are present (consumes the enumerator).</summary>
    public long Count()
    {
        long n = 0;
        while (MoveNext()) n++;
        return n;
    }
}
