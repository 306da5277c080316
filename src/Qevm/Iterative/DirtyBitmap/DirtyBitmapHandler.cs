using System.Buffers.Binary;
using System.Globalization;

namespace Qevm.Iterative.DirtyBitmap;

/// <summary><c>dirty-bitmap</c>: chunks of persistent block dirty bitmaps (§12.2, migration/block-dirty-bitmap.c).</summary>
internal sealed class DirtyBitmapHandler : IIterativeHandler
{
    private const byte Eos = 0x01, Zeroes = 0x02, BitmapName = 0x04, DeviceName = 0x08, Start = 0x10, Bits = 0x40, ExtraFlags = 0x80;
    private const ulong MaxBuffer = 10240; // the loader's limit on a BITS chunk's buffer

    public void Read(VmStateReader r)
    {
        // 1, 2 or 4 flag bytes (the last one counts), optional names, then the chunk body.
        var input = r.Input;
        long at = input.Position;
        int pos = 1;
        byte flags = input.Peek(1)[0];
        if ((flags & ExtraFlags) != 0)
        {
            flags = input.Peek(2)[1];
            pos = 2;
            if ((flags & ExtraFlags) != 0)
            {
                flags = input.Peek(4)[3];
                pos = 4;
            }
        }
        if ((flags & DeviceName) != 0) pos += 1 + input.Peek(pos + 1)[pos];
        if ((flags & BitmapName) != 0) pos += 1 + input.Peek(pos + 1)[pos];
        if ((flags & Start) != 0)
        {
            byte bf = input.Peek(pos + 5)[pos + 4];
            if ((bf & 0xF8) != 0)
                throw new VmStateFormatException(VmStateError.BadIterativeData, at + pos + 4, "dirty bitmap flags without reserved bits", VmStateReader.Hex(bf),
                    "Unknown flags in migrated dirty bitmap header: " + bf.ToString("x", CultureInfo.InvariantCulture));
            pos += 5;
        }
        else if ((flags & Bits) != 0)
        {
            pos += 12;
            if ((flags & Zeroes) == 0)
            {
                ulong b = BinaryPrimitives.ReadUInt64BigEndian(input.Peek(pos + 8)[pos..]);
                if (b > MaxBuffer)
                    throw new VmStateFormatException(VmStateError.BadIterativeData, at + pos, "a bitmap buffer of at most 10240 bytes", b.ToString(CultureInfo.InvariantCulture),
                        "Bitmap migration stream buffer allocation request is too large");
                pos += 8 + (int)b;
            }
        }
        input.Peek(pos);
        bool eos = (flags & Eos) != 0;
        r.SetItem(eos && (flags & 0x70) == 0 ? IterativeItemKind.BitmapEos : IterativeItemKind.BitmapChunk, pos, eos, flags);
    }
}
