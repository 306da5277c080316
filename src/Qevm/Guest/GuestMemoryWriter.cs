using System.IO.Compression;

namespace Qevm.Guest;

/// <summary>
/// The one walk that puts a stream's RAM pages where guest-physical ranges place them in an output file: every
/// page kind (zero and fill pages, plain, zlib-compressed, XBZRLE against the page as sent before, mapped-ram
/// regions) is applied in stream order, then the <see cref="RamFileSource"/>s fill the blocks the stream leaves
/// out. The ELF core, the raw image and <c>memory read</c> differ only in the ranges and file offsets they give.
/// Zero pages are left as holes; memory use does not grow with the guest's RAM but for a bit per page.
/// </summary>
internal static class GuestMemoryWriter
{
    /// <summary>
    /// Reads the stream <paramref name="open"/> opens once more and writes each page of a block that
    /// <paramref name="ranges"/> map at <paramref name="fileOffsets"/>[i] + (the page's offset in range i).
    /// <paramref name="state"/> is the decoded first pass (block list, capabilities).
    /// </summary>
    /// <exception cref="SharedRamMissingException">A block the ranges map has no pages in an x-ignore-shared stream and no RAM file.</exception>
    public static void Write(Func<System.IO.Stream> open, IReadOnlyList<ISchemaSource>? schemas, StateDump state, System.IO.Stream output,
        IReadOnlyList<GuestRange> ranges, IReadOnlyList<long> fileOffsets, IReadOnlyList<RamFileSource>? ramFiles)
    {
        ramFiles ??= [];
        RamFileSource.Check(ramFiles, state);
        PageWriter pages;
        using (var second = open())
        using (var gathered = new CoalescingWriter(output))
        {
            pages = new PageWriter(gathered, ranges, fileOffsets);
            StateDump.Read(second, schemas, r =>
            {
                if (r.Section?.Idstr == "ram") pages.Add(r);
            });
        }
        foreach (var file in ramFiles)
            file.CopyTo(output, ranges, fileOffsets);

        // x-ignore-shared: a shared block's pages are not in the stream at all; without its file the output would
        // silently hold zeros there.
        if (state.Info.Configuration?.Capabilities is { } caps && caps.Contains("x-ignore-shared"))
        {
            foreach (var g in ranges)
            {
                if (!pages.Seen(g.Block) && !ramFiles.Any(f => f.Block == g.Block))
                    throw new SharedRamMissingException(g.Block);
            }
        }
        output.Flush();
    }

    // Puts each page of the stream where the ranges that map its block put it in the file. A range may cover part
    // of a page (memory read's window): only the overlap is written.
    private sealed class PageWriter(System.IO.Stream output, IReadOnlyList<GuestRange> ranges, IReadOnlyList<long> fileOffsets)
    {
        private readonly Dictionary<string, System.Collections.BitArray> _written = [];
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private byte[] _page = new byte[4096];

        public bool Seen(string block) => _seen.Contains(block);

        public void Add(VmStateReader r)
        {
            var item = r.Item;
            if (r.PageSize > 0 && _page.Length != r.PageSize) _page = new byte[r.PageSize];
            if (item.Block is { } b && item.Kind is IterativeItemKind.RamZero or IterativeItemKind.RamPage or IterativeItemKind.RamCompressedPage
                or IterativeItemKind.RamXbzrle or IterativeItemKind.RamMappedRegion) _seen.Add(b.Name);
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
            ulong end = offset + (ulong)data.Length;
            for (int i = 0; i < ranges.Count; i++)
            {
                var g = ranges[i];
                if (g.Block != block.Name) continue;
                ulong from = Math.Max(offset, g.BlockOffset), to = Math.Min(end, g.BlockOffset + g.Length);
                if (from >= to) continue;
                output.Position = fileOffsets[i] + (long)(from - g.BlockOffset);
                output.Write(data.Slice((int)(from - offset), (int)(to - from)));
                any = true;
            }
            if (any) Mark(block, offset, true);
        }

        private void ReadBack(RamBlock block, ulong offset, Span<byte> page)
        {
            ulong end = offset + (ulong)page.Length;
            for (int i = 0; i < ranges.Count; i++)
            {
                var g = ranges[i];
                if (g.Block != block.Name) continue;
                ulong from = Math.Max(offset, g.BlockOffset), to = Math.Min(end, g.BlockOffset + g.Length);
                if (from >= to) continue;
                output.Position = fileOffsets[i] + (long)(from - g.BlockOffset);
                output.ReadAtLeast(page.Slice((int)(from - offset), (int)(to - from)), (int)(to - from), throwOnEndOfStream: false);
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
