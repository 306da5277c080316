namespace Qevm.Guest;

/// <summary>
/// A RAM block's memory taken from a file instead of the stream: the memory-backend file of a block that a stream
/// made with the <c>x-ignore-shared</c> capability leaves out (QEMU skips shared RAM and expects the destination to
/// map the same file). The file holds the block from offset 0, as <c>memory-backend-file,mem-path=</c> does.
/// </summary>
/// <param name="Block">The RAM block's idstr (the backend's id, e.g. <c>m</c> for <c>memory-backend-file,id=m</c>).</param>
/// <param name="Path">The file.</param>
public sealed record RamFileSource(string Block, string Path)
{
    private const int Chunk = 1 << 20;

    /// <summary>Parses <c>BLOCK=PATH</c>.</summary>
    /// <exception cref="ArgumentException">No <c>=</c>, or an empty block or path.</exception>
    public static RamFileSource Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1) throw new ArgumentException($"'{text}': expected BLOCK=PATH (a RAM block's name and its memory-backend file)", nameof(text));
        return new RamFileSource(text[..eq], text[(eq + 1)..]);
    }

    // Each file must name a block of the stream and hold all of it.
    internal static void Check(IReadOnlyList<RamFileSource> files, StateDump state)
    {
        var blocks = state.Info.Ram?.Blocks ?? [];
        foreach (var f in files)
        {
            var block = blocks.FirstOrDefault(b => b.Name == f.Block)
                ?? throw new ArgumentException($"RAM file for '{f.Block}': the stream has no RAM block of that name (it has {string.Join(", ", blocks.Select(b => b.Name))})");
            long length = new FileInfo(f.Path).Length;
            if ((ulong)length < block.UsedLength)
                throw new ArgumentException($"RAM file for '{f.Block}': {f.Path} has {length} bytes, the block {block.UsedLength}");
        }
    }

    // Copies the file's bytes of each range of the block to the range's place, leaving all-zero chunks as holes.
    internal void CopyTo(System.IO.Stream output, IReadOnlyList<GuestRange> ranges, IReadOnlyList<long> fileOffsets)
    {
        using var input = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        var buffer = new byte[Chunk];
        for (int i = 0; i < ranges.Count; i++)
        {
            var g = ranges[i];
            if (g.Block != Block) continue;
            for (ulong done = 0; done < g.Length;)
            {
                int n = (int)Math.Min((ulong)Chunk, g.Length - done);
                input.Position = (long)(g.BlockOffset + done);
                input.ReadExactly(buffer, 0, n);
                var data = buffer.AsSpan(0, n);
                if (data.ContainsAnyExcept((byte)0))
                {
                    output.Position = fileOffsets[i] + (long)done;
                    output.Write(data);
                }
                done += (ulong)n;
            }
        }
    }
}
