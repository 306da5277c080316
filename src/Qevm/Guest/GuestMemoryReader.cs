using System.Globalization;

namespace Qevm.Guest;

/// <summary>
/// Reads guest-physical memory by address from a stream: the bytes <c>pmemsave</c> or <c>xp</c> would show in the
/// QEMU that wrote it. The pages are placed by the same walk as the ELF core's, into a window of the asked range.
/// </summary>
public static class GuestMemoryReader
{
    // The window is widened to whole 64 KiB units, so that every page (any target page size up to 64 KiB) lies in
    // it whole and an XBZRLE delta finds its page as sent before.
    private const ulong Unit = 64 * 1024;

    /// <summary>
    /// Writes the <paramref name="length"/> bytes at guest-physical <paramref name="address"/> of the stream
    /// <paramref name="open"/> opens (twice: the layout is in the device sections after the RAM) to
    /// <paramref name="output"/>, in order (it may be a pipe).
    /// </summary>
    /// <remarks><c>hints</c> give what the stream cannot tell of the layout (<see cref="GuestLayoutHints"/>).</remarks>
    /// <exception cref="GuestLayoutException">The stream does not give the layout.</exception>
    /// <exception cref="GuestAddressException">A byte of the range is not RAM.</exception>
    public static GuestPhysicalLayout Read(Func<System.IO.Stream> open, ulong address, ulong length, System.IO.Stream output,
        IReadOnlyList<ISchemaSource>? schemas = null, IReadOnlyList<RamFileSource>? ramFiles = null, GuestLayoutHints? hints = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(output);
        if (length == 0) throw new ArgumentException("the length must be at least 1 byte", nameof(length));
        if (address + length < address) throw new ArgumentException("the range ends past the 64-bit address space", nameof(length));

        StateDump state;
        using (var first = open()) state = StateDump.Read(first, schemas);
        var layout = GuestPhysicalLayout.Of(state, hints);
        CheckRam(layout, address, length);
        using var window = ReadWindow(open, schemas, state, layout, address, length, ramFiles, out long skip);
        window.Position = skip;
        var buffer = new byte[1 << 20];
        for (ulong done = 0; done < length;)
        {
            int n = (int)Math.Min((ulong)buffer.Length, length - done);
            window.ReadExactly(buffer, 0, n); // the window is as long as the range: a short read would spin forever
            output.Write(buffer, 0, n);
            done += (ulong)n;
        }
        output.Flush();
        return layout;
    }

    /// <summary>Whether every byte of the range is in a RAM range of <paramref name="layout"/>.</summary>
    public static bool IsRam(GuestPhysicalLayout layout, ulong address, ulong length) => FirstGap(layout, address, length) is null;

    /// <exception cref="GuestAddressException">A byte of the range is not RAM.</exception>
    internal static void CheckRam(GuestPhysicalLayout layout, ulong address, ulong length)
    {
        if (FirstGap(layout, address, length) is not { } gap) return;
        var ranges = layout.Ranges;
        var before = ranges.LastOrDefault(r => r.End <= gap);
        var after = ranges.FirstOrDefault(r => r.Address > gap);
        string where = (before.Length > 0, after.Length > 0) switch
        {
            (true, true) => Invariant($"between {Describe(before)} and {Describe(after)}"),
            (true, false) => Invariant($"after the last RAM range, {Describe(before)}"),
            (false, true) => Invariant($"before the first RAM range, {Describe(after)}"),
            _ => "and the guest has no RAM ranges",
        };
        throw new GuestAddressException(Invariant($"guest-physical address 0x{gap:x} is not RAM: it lies {where}"));
    }

    // The first address of [address, address + length) that no range maps, or null.
    private static ulong? FirstGap(GuestPhysicalLayout layout, ulong address, ulong length)
    {
        ulong at = address, end = address + length;
        foreach (var r in layout.Ranges)
        {
            if (r.End <= at) continue;
            if (r.Address > at) return at;
            at = r.End;
            if (at >= end) return null;
        }
        return at < end ? at : null;
    }

    private static string Describe(GuestRange r) => Invariant($"0x{r.Address:x}-0x{r.End - 1:x} ({r.Block})");

    /// <summary>
    /// Places the pages of the 64 KiB units around [address, address + length) into a stream (a temporary
    /// file that deletes itself); <paramref name="skip"/> is where the address is in it.
    /// </summary>
    internal static System.IO.Stream ReadWindow(Func<System.IO.Stream> open, IReadOnlyList<ISchemaSource>? schemas, StateDump state,
        GuestPhysicalLayout layout, ulong address, ulong length, IReadOnlyList<RamFileSource>? ramFiles, out long skip)
    {
        ulong start = address / Unit * Unit;
        ulong end = address + length;
        end = end > ulong.MaxValue - Unit ? ulong.MaxValue : (end + Unit - 1) / Unit * Unit;
        var ranges = new List<GuestRange>();
        var offsets = new List<long>();
        foreach (var r in layout.Ranges)
        {
            ulong from = Math.Max(r.Address, start), to = Math.Min(r.End, end);
            if (from >= to) continue;
            ranges.Add(new GuestRange(from, r.Block, r.BlockOffset + (from - r.Address), to - from));
            offsets.Add((long)(from - start));
        }
        // A file even for a few bytes: the page walk writes to files (positioned writes from the input's mapping).
        var window = new FileStream(Path.Combine(Path.GetTempPath(), "qevm-window-" + Guid.NewGuid().ToString("N")), FileMode.CreateNew,
                FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            window.SetLength((long)(end - start));
            GuestMemoryWriter.Write(open, schemas, state, window, ranges, offsets, ramFiles);
        }
        catch
        {
            window.Dispose();
            throw;
        }
        skip = (long)(address - start);
        return window;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
