using Qevm.Ram;

namespace Qevm.Guest;

/// <summary>
/// The one walk that puts a stream's RAM pages where guest-physical ranges place them in an output file: every
/// page kind (zero and fill pages, plain, zlib-compressed, XBZRLE against the page as sent before, mapped-ram
/// regions) is applied in stream order, then the <see cref="RamFileSource"/>s fill the blocks the stream leaves
/// out. The ELF core, the raw image and <c>memory read</c> differ only in the ranges and file offsets they give.
/// The pages are applied by <see cref="RamPageWriter"/>, the walk <c>extract</c> uses too.
/// </summary>
internal static class GuestMemoryWriter
{
    /// <summary>
    /// Reads the stream <paramref name="open"/> opens once more and writes each page of a block that
    /// <paramref name="ranges"/> map at <paramref name="fileOffsets"/>[i] + (the page's offset in range i).
    /// <paramref name="state"/> is the decoded first pass (block list, capabilities).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="output"/> is not a file.</exception>
    /// <exception cref="SharedRamMissingException">A block the ranges map has no pages in an x-ignore-shared stream and no RAM file.</exception>
    public static void Write(Func<System.IO.Stream> open, IReadOnlyList<ISchemaSource>? schemas, StateDump state, System.IO.Stream output,
        IReadOnlyList<GuestRange> ranges, IReadOnlyList<long> fileOffsets, IReadOnlyList<RamFileSource>? ramFiles)
    {
        // Pages go straight to the file with positioned writes (from the input's mapping when it is one): a stream's
        // buffer in between costs a copy of every page, a third of the time of a large export.
        if (output is not FileStream file) throw new ArgumentException("guest memory is written at file offsets: the output must be a file", nameof(output));
        ramFiles ??= [];
        RamFileSource.Check(ramFiles, state);
        file.Flush();
        var handle = file.SafeFileHandle;
        RamPageWriter pages;
        using (var second = open())
        using (pages = new RamPageWriter(block =>
        {
            var targets = new List<PageTarget>();
            for (int i = 0; i < ranges.Count; i++)
                if (ranges[i].Block == block.Name) targets.Add(new PageTarget(handle, ranges[i].BlockOffset, ranges[i].Length, fileOffsets[i]));
            return targets.ToArray();
        }))
        {
            StateDump.Read(second, schemas, r =>
            {
                if (r.Section?.Idstr == "ram") pages.Add(r);
            });
        }
        foreach (var f in ramFiles)
            f.CopyTo(output, ranges, fileOffsets);

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
}
