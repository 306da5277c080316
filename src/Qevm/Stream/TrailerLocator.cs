using System.Buffers.Binary;

namespace Qevm;

/// <summary>
/// Finds the trailer of a seekable stream from its end, so that the page size and the description are known
/// before the records are read. The framing is checked exactly: <c>00 06 be32 L</c> with L bytes to the end.
/// </summary>
internal static class TrailerLocator
{
    public static Trailer? TryLocate(System.IO.Stream s, long origin, long length, int maxLength)
    {
        long window = Math.Min(length, Math.Min((long)maxLength + 6, 64L << 20));
        if (window < 7) return null;
        var buf = new byte[window];
        long start = origin + length - window;
        s.Position = start;
        s.ReadExactly(buf);
        s.Position = origin;
        // Scan candidates from the end: the trailer is the last record, so the right 0x06 is nearest the start
        // of a long JSON; check every 0x06 preceded by 0x00 whose be32 equals the bytes left.
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
