
namespace Qevm.Ram;

/// <summary>XBZRLE page deltas (§11.4): runs of unchanged and new bytes, lengths in 2-byte ULEB128.</summary>
public static class Xbzrle
{
    /// <summary>Applies <paramref name="encoded"/> to <paramref name="page"/> (its previous content), like QEMU's xbzrle_decode_buffer.</summary>
    public static void Apply(ReadOnlySpan<byte> encoded, Span<byte> page, long offset = 0)
    {
        int i = 0, d = 0;
        while (i < encoded.Length)
        {
            if (encoded.Length - i < 2) Fail(offset + i);
            int zrun = Uleb(encoded, ref i, offset);
            if (zrun == 0 && i > 1) Fail(offset + i);
            d += zrun;
            if (d > page.Length || encoded.Length - i < 2) Fail(offset + i);
            int nzrun = Uleb(encoded, ref i, offset);
            if (nzrun == 0 || d + nzrun > page.Length || encoded.Length - i < nzrun) Fail(offset + i);
            encoded.Slice(i, nzrun).CopyTo(page[d..]);
            i += nzrun;
            d += nzrun;
        }
    }

    private static int Uleb(ReadOnlySpan<byte> s, ref int i, long offset)
    {
        int b0 = s[i++];
        if (b0 < 0x80) return b0;
        if (i >= s.Length || s[i] >= 0x80) Fail(offset + i);
        return (b0 & 0x7F) | (s[i++] << 7);
    }

    private static void Fail(long offset) =>
        throw new VmStateFormatException(VmStateError.BadRam, offset, "XBZRLE runs within the page", "a malformed run",
            "Failed to load XBZRLE page - decode error!");
}
