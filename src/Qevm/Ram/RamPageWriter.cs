using System.IO.Compression;
using Microsoft.Win32.SafeHandles;
using Qevm.IO;

namespace Qevm.Ram;

/// <summary>Where part of a RAM block goes: bytes [<c>BlockOffset</c>, + <c>Length</c>) of the block at <c>FileOffset</c> in <c>File</c>.</summary>
internal readonly record struct PageTarget(SafeFileHandle File, ulong BlockOffset, ulong Length, long FileOffset);

/// <summary>
/// The one walk that applies a stream's RAM records to files: every page kind (zero and fill pages, plain,
/// zlib-compressed, XBZRLE against the page as sent before, mapped-ram regions) in stream order, each page written
/// where the targets of its block put it. <c>extract</c> gives each block a file of its own; the ELF core, the raw
/// image and <c>memory read</c> give guest-physical ranges of one file. Zero pages are left as holes (a page written
/// before and zero now is cleared). Pages that follow one another in a file are written with one system call: from
/// a memory-mapped input straight from the mapping (<see cref="GatherWriter"/>, no copy), else gathered in a 1 MiB
/// buffer. Memory use does not grow with the guest's RAM but for a bit per page.
/// </summary>
internal sealed class RamPageWriter(Func<RamBlock, PageTarget[]> targetsOf) : IDisposable
{
    // Per block: its targets, which pages hold data (a later zero page must clear them), whether the stream had pages.
    private sealed class Placement(PageTarget[] targets, int pages)
    {
        public readonly PageTarget[] Targets = targets;
        public readonly System.Collections.BitArray Written = new(Math.Max(1, pages));
        public bool Seen;
    }

    private readonly Dictionary<string, Placement> _blocks = new(StringComparer.Ordinal);
    private RamBlock? _lastBlock; // pages come in runs of one block: one lookup per run, not per page
    private Placement? _last;
    private readonly GatherWriter _gather = new();
    private byte[] _page = new byte[4096];
    private byte[] _zero = new byte[4096];
    private bool? _stable;

    /// <summary>True when the stream carried pages (or a mapped-ram region) of <paramref name="block"/>.</summary>
    public bool Seen(string block) => _blocks.TryGetValue(block, out var p) && p.Seen;

    /// <summary>Applies the reader's current item when it is a RAM record; other items are left alone.</summary>
    public void Add(VmStateReader r)
    {
        var item = r.Item;
        if (r.PageSize > 0 && _page.Length != r.PageSize)
        {
            _page = new byte[r.PageSize];
            _zero = new byte[r.PageSize];
        }
        if (item.Block is not { } block) return;
        var at = PlacementOf(block);
        switch (item.Kind)
        {
            case IterativeItemKind.RamBlockEntry:
                break;
            case IterativeItemKind.RamZero:
                at.Seen = true;
                if (item.FillByte != 0)
                {
                    Array.Fill(_page, item.FillByte);
                    Put(at, item.PageOffset, _page, stable: false);
                }
                else if (Written(at, item.PageOffset))
                {
                    // A page written earlier in the stream and zero now: the hole must be made zero again.
                    Put(at, item.PageOffset, _zero, stable: false);
                    Mark(at, item.PageOffset, false);
                }
                break;
            case IterativeItemKind.RamPage:
                at.Seen = true;
                // From a mapped input, pages are written from the mapping itself (flushed before it moves).
                _stable ??= GatherWriter.Supported && r.KeepItemData(Flush);
                Put(at, item.PageOffset, r.ItemData, _stable == true);
                break;
            case IterativeItemKind.RamCompressedPage:
                at.Seen = true;
                using (var z = new ZLibStream(new MemoryStream(r.ItemData.ToArray()), CompressionMode.Decompress))
                {
                    int n = z.ReadAtLeast(_page, _page.Length, throwOnEndOfStream: false);
                    Put(at, item.PageOffset, _page.AsSpan(0, n), stable: false);
                }
                break;
            case IterativeItemKind.RamXbzrle:
                at.Seen = true;
                // The delta applies to the page as sent before: read it back from where it was written.
                Array.Clear(_page);
                ReadBack(at, item.PageOffset, _page);
                Xbzrle.Apply(r.ItemData, _page, item.Offset);
                Put(at, item.PageOffset, _page, stable: false);
                break;
            case IterativeItemKind.RamMappedRegion:
                at.Seen = true;
                var region = r.MappedRegion;
                var bitmap = r.ReadMappedBitmap();
                var page = region.PageSize == _page.Length ? _page : new byte[region.PageSize];
                foreach (var p in region.PresentPages(bitmap))
                {
                    r.ReadRegion(p.At, page);
                    Put(at, p.BlockOffset, page, stable: false);
                }
                break;
        }
    }

    /// <summary>Writes what is gathered.</summary>
    public void Flush()
    {
        _gather.Flush();
        if (_runFile is not null && _runLength > 0) RandomAccess.Write(_runFile, _run.AsSpan(0, _runLength), _runStart);
        _runLength = 0;
    }

    /// <summary>Writes what is gathered; the files belong to the caller.</summary>
    public void Dispose() => Flush();

    // The block's placement, its targets asked for once (extract opens the block's file then).
    private Placement PlacementOf(RamBlock block)
    {
        if (ReferenceEquals(block, _lastBlock)) return _last!;
        if (!_blocks.TryGetValue(block.Name, out var p))
            _blocks[block.Name] = p = new Placement(targetsOf(block), (int)(block.UsedLength / (ulong)_page.Length));
        _lastBlock = block;
        return _last = p;
    }

    // Writes the part of the page each target of its block covers (memory read's window may cover part of a page).
    private void Put(Placement at, ulong offset, ReadOnlySpan<byte> data, bool stable)
    {
        bool any = false;
        ulong end = offset + (ulong)data.Length;
        foreach (var t in at.Targets)
        {
            ulong from = Math.Max(offset, t.BlockOffset), to = Math.Min(end, t.BlockOffset + t.Length);
            if (from >= to) continue;
            Write(t.File, t.FileOffset + (long)(from - t.BlockOffset), data.Slice((int)(from - offset), (int)(to - from)), stable);
            any = true;
        }
        if (any) Mark(at, offset, true);
    }

    private void ReadBack(Placement at, ulong offset, Span<byte> page)
    {
        Flush();
        ulong end = offset + (ulong)page.Length;
        foreach (var t in at.Targets)
        {
            ulong from = Math.Max(offset, t.BlockOffset), to = Math.Min(end, t.BlockOffset + t.Length);
            if (from >= to) continue;
            RandomAccess.Read(t.File, page.Slice((int)(from - offset), (int)(to - from)), t.FileOffset + (long)(from - t.BlockOffset));
        }
    }

    private bool Written(Placement at, ulong offset)
    {
        ulong index = offset / (ulong)_page.Length;
        return index < (ulong)at.Written.Length && at.Written[(int)index];
    }

    private void Mark(Placement at, ulong offset, bool value)
    {
        ulong index = offset / (ulong)_page.Length;
        if (index < (ulong)at.Written.Length) at.Written[(int)index] = value;
    }

    // Consecutive bytes of one file are written with one call: up to 1 MiB copied here, or any run queued from the mapping.
    private const int RunLimit = 1 << 20;
    private readonly byte[] _run = new byte[RunLimit];
    private SafeFileHandle? _runFile;
    private long _runStart;
    private int _runLength;

    private void Write(SafeFileHandle file, long at, ReadOnlySpan<byte> data, bool stable)
    {
        if (stable)
        {
            if (_runLength > 0) Flush();
            _gather.Append(file, at, data);
            return;
        }
        if (_gather.Pending) _gather.Flush();
        if (data.Length >= RunLimit)
        {
            Flush();
            RandomAccess.Write(file, data, at);
            return;
        }
        if (_runFile != file || at != _runStart + _runLength || _runLength + data.Length > RunLimit)
        {
            Flush();
            _runFile = file;
            _runStart = at;
        }
        data.CopyTo(_run.AsSpan(_runLength));
        _runLength += data.Length;
    }
}
