using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace Qevm;

/// <summary>
/// Decodes section data into a value tree with a description, and encodes a value tree back into bytes:
/// one field loop in both directions (QEMU's vmstate_load_state / vmstate_save_state_v).
/// </summary>
public static class VmStateCodec
{
    private const int MaxDepth = 64;

    /// <summary>
    /// Decodes <paramref name="data"/> (a FULL section's data, offset <paramref name="offset"/> in the stream).
    /// Throws <see cref="VmStateFormatException"/> when the bytes do not follow the description or are not all used.
    /// </summary>
    public static VmStruct Decode(VmStateDescription description, ReadOnlySpan<byte> data, long offset)
    {
        ArgumentNullException.ThrowIfNull(description);
        int pos = 0;
        var root = DecodeStruct(description, data, ref pos, offset, null, 0);
        if (pos != data.Length)
            throw Mismatch(offset + pos, string.Create(CultureInfo.InvariantCulture, $"the description of '{description.Name}' to use all {data.Length} bytes"),
                string.Create(CultureInfo.InvariantCulture, $"{data.Length - pos} bytes left over"));
        return root;
    }

    /// <summary>Decodes as much of <paramref name="data"/> as the description covers; <paramref name="consumed"/> says how much.</summary>
    internal static VmStruct DecodePrefix(VmStateDescription description, ReadOnlySpan<byte> data, long offset, out int consumed)
    {
        int pos = 0;
        var root = DecodeStruct(description, data, ref pos, offset, null, 0);
        consumed = pos;
        return root;
    }

    private static VmStruct DecodeStruct(VmStateDescription d, ReadOnlySpan<byte> data, ref int pos, long baseOffset, uint? subVersion, int depth)
    {
        if (depth > MaxDepth) throw Mismatch(baseOffset + pos, "descriptions nested at most 64 deep", "deeper");
        int start = pos;
        var s = new VmStruct { Description = d, SubsectionVersion = subVersion, Offset = baseOffset + pos };
        var fields = d.Fields;
        for (int i = 0; i < fields.Count;)
        {
            // Consecutive entries with one name are one array (non-compressible arrays, 10.0 nullptr runs).
            int j = i + 1;
            while (j < fields.Count && fields[j].Name == fields[i].Name) j++;
            bool isArray = j - i > 1 || fields[i].IsArray || fields[i].Count != 1;
            int groupStart = pos;
            VmArray? array = isArray ? new VmArray { Offset = baseOffset + pos, Field = fields[i] } : null;
            VmValue? single = null;
            for (int k = i; k < j; k++)
            {
                for (int e = 0; e < fields[k].Count; e++)
                {
                    var v = DecodeElement(fields[k], data, ref pos, baseOffset, depth);
                    if (array is not null) array.Elements.Add(v);
                    else single = v;
                }
            }
            if (array is not null)
            {
                array.Length = pos - groupStart;
                s.Members.Add(new(fields[i].Name, array));
            }
            else if (single is not null)
            {
                s.Members.Add(new(fields[i].Name, single));
            }
            i = j;
        }
        if (d.SubsectionsOptional)
        {
            DecodeOptionalSubsections(d, s, data, ref pos, baseOffset, depth);
            s.Length = pos - start;
            return s;
        }
        foreach (var sub in d.Subsections)
        {
            int at = pos;
            var name = System.Text.Encoding.Latin1.GetBytes(sub.Name);
            if (data.Length - pos < 6 + name.Length)
                throw new VmStateFormatException(VmStateError.Truncated, baseOffset + data.Length, "subsection 0x05 '" + sub.Name + "'", "the end of the data");
            if (data[pos] != 0x05 || data[pos + 1] != name.Length || !data.Slice(pos + 2, name.Length).SequenceEqual(name))
                throw Mismatch(baseOffset + pos, "subsection 0x05 '" + sub.Name + "'", "other bytes");
            uint version = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 2 + name.Length)..]);
            pos += 6 + name.Length;
            var body = DecodeStruct(sub, data, ref pos, baseOffset, version, depth + 1);
            body.Offset = baseOffset + at;
            body.Length = pos - at;
            s.Members.Add(new(sub.Name, body));
        }
        s.Length = pos - start;
        return s;
    }

    // §8.2: while the next bytes are 0x05 + the name of one of the description's subsections, decode it.
    private static void DecodeOptionalSubsections(VmStateDescription d, VmStruct s, ReadOnlySpan<byte> data, ref int pos, long baseOffset, int depth)
    {
        while (data.Length - pos >= 2 && data[pos] == 0x05)
        {
            int n = data[pos + 1];
            if (data.Length - pos < 6 + n) return;
            var name = data.Slice(pos + 2, n);
            VmStateDescription? sub = null;
            foreach (var candidate in d.Subsections)
                if (name.SequenceEqual(System.Text.Encoding.Latin1.GetBytes(candidate.Name))) sub = candidate;
            if (sub is null) return;
            int at = pos;
            uint version = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 2 + n)..]);
            pos += 6 + n;
            var body = DecodeStruct(sub, data, ref pos, baseOffset, version, depth + 1);
            body.Offset = baseOffset + at;
            body.Length = pos - at;
            s.Members.Add(new(sub.Name, body));
        }
    }

    private static VmValue DecodeElement(VmStateField f, ReadOnlySpan<byte> data, ref int pos, long baseOffset, int depth)
    {
        int at = pos;
        VmValue v;
        switch (f.Type)
        {
            case VmStateType.Struct or VmStateType.VStruct when f.Struct is not null:
                v = DecodeStruct(f.Struct, data, ref pos, baseOffset, null, depth + 1);
                break;
            case VmStateType.Tmp when f.Struct is not null:
                // A tmp's size covers its whole nested encoding: decode exactly that many bytes.
                Need(data, pos, f.Size, baseOffset, f);
                int inner = 0;
                var nested = data.Slice(pos, f.Size);
                var t = DecodeStruct(f.Struct, nested, ref inner, baseOffset + pos, null, depth + 1);
                if (inner != f.Size) throw Mismatch(baseOffset + pos + inner, "the tmp '" + f.Name + "' to use its " + f.Size.ToString(CultureInfo.InvariantCulture) + " bytes", "a different length");
                pos += f.Size;
                v = t;
                break;
            case VmStateType.Nullptr:
                Need(data, pos, 1, baseOffset, f);
                if (data[pos] != 0x30) throw Mismatch(baseOffset + pos, "the NULL marker 0x30 of '" + f.Name + "'", "0x" + data[pos].ToString("x2", CultureInfo.InvariantCulture));
                pos++;
                v = new VmNull();
                break;
            case VmStateType.Capability:
                Need(data, pos, 1, baseOffset, f);
                int len = data[pos];
                Need(data, pos + 1, len, baseOffset, f);
                v = new VmString { Bytes = data.Slice(pos + 1, len).ToArray() };
                pos += 1 + len;
                break;
            case VmStateType.Int or VmStateType.UInt or VmStateType.Bool or VmStateType.Float64 when IsScalarSize(f):
                Need(data, pos, f.Size, baseOffset, f);
                ulong bits = 0;
                foreach (var b in data.Slice(pos, f.Size)) bits = bits << 8 | b;
                pos += f.Size;
                v = new VmScalar { Bits = bits, Size = f.Size, Type = f.Type };
                break;
            default:
                Need(data, pos, f.Size, baseOffset, f);
                v = new VmBytes { Bytes = data.Slice(pos, f.Size).ToArray() };
                pos += f.Size;
                break;
        }
        v.Offset = baseOffset + at;
        v.Length = pos - at;
        v.Field = f;
        return v;
    }

    private static bool IsScalarSize(VmStateField f) => f.Type switch
    {
        VmStateType.Bool => f.Size == 1,
        VmStateType.Float64 => f.Size == 8,
        _ => f.Size is 1 or 2 or 4 or 8,
    };

    private static void Need(ReadOnlySpan<byte> data, int pos, int count, long baseOffset, VmStateField f)
    {
        if (count < 0 || data.Length - pos < count)
            throw new VmStateFormatException(VmStateError.Truncated, baseOffset + data.Length,
                string.Create(CultureInfo.InvariantCulture, $"{count} bytes for '{f.Name}'"), "the end of the data");
    }

    private static VmStateFormatException Mismatch(long offset, string expected, string found) =>
        new(VmStateError.DescriptionMismatch, offset, expected, found);

    /// <summary>Encodes a decoded (possibly edited) value tree: the bytes a FULL section's data holds.</summary>
    public static byte[] Encode(VmStruct root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var w = new ArrayBufferWriter<byte>(Math.Max(16, root.Length));
        EncodeStruct(root, w);
        return w.WrittenSpan.ToArray();
    }

    private static void EncodeStruct(VmStruct s, ArrayBufferWriter<byte> w)
    {
        foreach (var (name, value) in s.Members)
        {
            if (value is VmStruct sub && sub.SubsectionVersion is { } version)
            {
                var n = System.Text.Encoding.Latin1.GetBytes(name);
                var head = w.GetSpan(6 + n.Length);
                head[0] = 0x05;
                head[1] = (byte)n.Length;
                n.CopyTo(head[2..]);
                BinaryPrimitives.WriteUInt32BigEndian(head[(2 + n.Length)..], version);
                w.Advance(6 + n.Length);
                EncodeStruct(sub, w);
            }
            else
            {
                EncodeValue(value, w);
            }
        }
    }

    private static void EncodeValue(VmValue v, ArrayBufferWriter<byte> w)
    {
        switch (v)
        {
            case VmArray a:
                foreach (var e in a.Elements) EncodeValue(e, w);
                break;
            case VmStruct s:
                EncodeStruct(s, w);
                break;
            case VmScalar sc:
                var span = w.GetSpan(sc.Size);
                for (int i = 0; i < sc.Size; i++) span[i] = (byte)(sc.Bits >> (8 * (sc.Size - 1 - i)));
                w.Advance(sc.Size);
                break;
            case VmBytes b:
                w.Write(b.Bytes);
                break;
            case VmString str:
                w.Write([(byte)str.Bytes.Length]);
                w.Write(str.Bytes);
                break;
            case VmNull:
                w.Write([(byte)0x30]);
                break;
        }
    }
}
