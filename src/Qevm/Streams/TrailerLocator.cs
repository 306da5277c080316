using System.Buffers.Binary;

namespace Qevm.Streams;

/// <summary>
/// Finds the trailer of a seekable stream from its end, so that the page size and the description are known
/// before the records are read. The framing is checked exactly: <c>00 06 be32 L</c> with L bytes to the end.
/// </summary>
internal static class TrailerLocator
{
    // Trailers are JSON of some 10 KB to a few MB; look at the last 1 MiB first, then 16 MiB.
    private static readonly long[] Windows = [1 << 20, 16 << 20];

    public static Trailer? TryLocate(System.IO.Stream s, long origin, long length, int maxLength)
    {
        // QEMU's JSON ends with '}': anything else has no trailer, and the windows need not be read.
        if (length < 7) return null;
        var last = new byte[1];
        s.Position = origin + length - 1;
        s.ReadExactly(last);
        s.Position = origin;
        if (last[0] != (byte)'}') return null;
        foreach (long w in Windows)
        {
            long window = Math.Min(length, Math.Min((long)maxLength + 6, w));
            if (window < 7) return null;
            var found = TryWindow(s, origin, length, window);
            s.Position = origin;
            if (found is not null || window == length) return found;
        }
        return null;
    }

    private static Trailer? TryWindow(System.IO.Stream s, long origin, long length, long window)
    {
        var buf = new byte[window];
        s.Position = origin + length - window;
        s.ReadExactly(buf);
        // The trailer is the last record: check every 0x06 preceded by EOF (0x00) whose be32 equals the bytes left.
        for (int p = (int)window - 6; p >= 1; p--)
        {
            if (buf[p] != 0x06 || buf[p - 1] != 0x00) continue;
            uint len = BinaryPrimitives.ReadUInt32BigEndian(buf.AsSpan(p + 1));
            if (len != window - p - 5 || buf[p + 5] != (byte)'{') continue;
            try
            {
                return Trailer.Parse(buf.AsMemory(p + 5, (int)len), length - window + p);
            }
            catch (VmStateFormatException)
            {
                return null;
            }
        }
        return null;
    }
}
