namespace Qevm.Guest;

/// <summary>
/// Writes a guest's memory as a flat guest-physical image: the byte at file offset A is the byte at guest-physical
/// address A, up to the end of the highest range of the <see cref="GuestPhysicalLayout"/> (for x86, <c>pc.bios</c>
/// ends at 4 GiB). What no range maps (MMIO, the PCI hole) and zero pages are holes, never written: the file is
/// sparse, its allocated size about the guest's non-zero memory. This is the "raw" layer of Volatility 3, lqs2mem and
/// VMkatz. Two passes over the stream, as <see cref="ElfCoreWriter"/>.
/// </summary>
public static class RawImageWriter
{
    /// <summary>
    /// Writes the image of the stream <paramref name="open"/> opens (called twice, each time for a new pass from the
    /// stream's first byte) to <paramref name="output"/>, which must be seekable and empty.
    /// </summary>
    /// <remarks><c>hints</c> give what the stream cannot tell of the layout (<see cref="GuestLayoutHints"/>).</remarks>
    /// <exception cref="GuestLayoutException">The stream does not give the layout.</exception>
    /// <exception cref="SharedRamMissingException">An x-ignore-shared block has no pages and no RAM file.</exception>
    public static GuestPhysicalLayout Write(Func<System.IO.Stream> open, System.IO.Stream output, IReadOnlyList<ISchemaSource>? schemas = null,
        IReadOnlyList<RamFileSource>? ramFiles = null, GuestLayoutHints? hints = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(output);
        if (!output.CanSeek) throw new ArgumentException("the raw image is written at guest-physical offsets: the output must be a file", nameof(output));

        StateDump state;
        using (var first = open()) state = StateDump.Read(first, schemas);
        var layout = GuestPhysicalLayout.Of(state, hints);
        var ranges = layout.Ranges;
        // Not on an empty file: ext4 writes a file truncated to 0 back to disk when it is closed (auto_da_alloc), which
        // made an export of 4 GiB wait for the disk.
        if (output.Length != 0) output.SetLength(0);
        output.SetLength((long)ranges.Max(r => r.End)); // sparse: what is never written reads as zeros
        GuestMemoryWriter.Write(open, schemas, state, output, ranges, ranges.Select(r => (long)r.Address).ToArray(), ramFiles);
        return layout;
    }
}
