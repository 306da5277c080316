using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Qevm.Codec;

/// <summary>The header of a subsection (§8.1): <c>0x05</c>, str8 name, be32 version. The one reader and writer of it.</summary>
internal static class SubsectionHeader
{
    public const byte Marker = 0x05;

    /// <summary>Writes the header of subsection <paramref name="name"/>, version <paramref name="version"/>.</summary>
    public static void Write(IBufferWriter<byte> w, string name, uint version)
    {
        int n = Encoding.Latin1.GetByteCount(name);
        var head = w.GetSpan(6 + n);
        head[0] = Marker;
        head[1] = (byte)n;
        Encoding.Latin1.GetBytes(name, head.Slice(2, n));
        BinaryPrimitives.WriteUInt32BigEndian(head[(2 + n)..], version);
        w.Advance(6 + n);
    }

    /// <summary>Reads a header at the start of <paramref name="data"/>; false when the data ends first or does not start with 0x05.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> name, out uint version, out int length)
    {
        name = default;
        version = 0;
        length = 0;
        if (data.Length < 2 || data[0] != Marker || data.Length < 6 + data[1]) return false;
        int n = data[1];
        name = data.Slice(2, n);
        version = BinaryPrimitives.ReadUInt32BigEndian(data[(2 + n)..]);
        length = 6 + n;
        return true;
    }

    /// <summary>
    /// §8.2 steps 1–4 (<c>vmstate_subsection_load</c>): a subsection of <paramref name="parent"/> follows when the
    /// next byte is 0x05, the name is longer than the parent's and starts with it; otherwise the loop ends there.
    /// <paramref name="length"/> is -1 when the data ends inside the version.
    /// </summary>
    public static bool Peek(ReadOnlySpan<byte> data, string parent, out ReadOnlySpan<byte> name, out uint version, out int length)
    {
        name = default;
        version = 0;
        length = 0;
        if (data.Length < 2 || data[0] != Marker) return false;
        int n = data[1];
        int prefix = Encoding.Latin1.GetByteCount(parent);
        if (n < prefix + 1 || data.Length < 2 + n) return false;
        var peeked = data.Slice(2, n);
        if (!NameEquals(peeked[..prefix], parent)) return false;
        // The name is peeked, the version is not: a cut after the name is the caller's (length -1).
        if (data.Length < 6 + n)
        {
            name = peeked;
            length = -1;
            return true;
        }
        return TryRead(data, out name, out version, out length);
    }

    /// <summary>True when <paramref name="bytes"/> are <paramref name="name"/> in Latin-1.</summary>
    public static bool NameEquals(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length != name.Length) return false;
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] != name[i]) return false;
        return true;
    }
}
