using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace Qevm;

/// <summary>
/// Writes a stream from the <c>dump --json</c> form (possibly edited): the records in order, FULL sections
/// encoded from their fields (types, sizes and values; range-checked) or from their raw hex.
/// </summary>
public static class StateComposer
{
    /// <summary>Writes the stream <paramref name="json"/> describes to <paramref name="output"/>.</summary>
    public static void Compose(ReadOnlyMemory<byte> json, System.IO.Stream output)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 512 });
        }
        catch (JsonException e)
        {
            throw new ArgumentException("not JSON: " + e.Message, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("records", out var records))
                throw new ArgumentException("no \"records\": give the output of `qevm dump --json` without --section");
            var sections = root.GetProperty("sections");
            using var w = new VmStateWriter(output, leaveOpen: true);
            foreach (var r in records.EnumerateArray())
            {
                string type = r.GetProperty("type").GetString() ?? "";
                switch (type)
                {
                    case "header":
                        w.WriteHeader(r.GetProperty("version").GetUInt32());
                        break;
                    case "configuration":
                        w.WriteRaw([0x07]);
                        w.WriteRaw(Convert.FromHexString(r.GetProperty("hex").GetString() ?? ""));
                        break;
                    case "command":
                        w.WriteCommand(r.GetProperty("cmd").GetUInt16(), Convert.FromHexString(r.GetProperty("hex").GetString() ?? ""));
                        break;
                    case "full":
                        var s = sections[r.GetProperty("section").GetInt32()];
                        w.WriteSectionHeader(RecordType.SectionFull, Header(s));
                        w.WriteSectionData(EncodeSection(s));
                        break;
                    case "start" or "part" or "end":
                        w.WriteSectionHeader(type == "start" ? RecordType.SectionStart : type == "part" ? RecordType.SectionPart : RecordType.SectionEnd, Header(r));
                        foreach (var item in r.GetProperty("items").EnumerateArray())
                        {
                            if (item.ValueKind == JsonValueKind.String) w.WriteSectionData(Convert.FromHexString(item.GetString() ?? ""));
                            else WriteRegion(item, w);
                        }
                        break;
                    case "footer":
                        w.WriteFooter(r.GetProperty("section_id").GetUInt32());
                        break;
                    case "eof":
                        w.WriteEof();
                        break;
                    case "trailer":
                        w.WriteTrailer(System.Text.Encoding.Latin1.GetBytes(r.GetProperty("json").GetString() ?? ""));
                        break;
                    default:
                        throw new ArgumentException($"unknown record type '{type}'");
                }
            }
        }
    }

    private static SectionHeader Header(JsonElement e) => new(e.GetProperty("section_id").GetUInt32(), e.GetProperty("idstr").GetString() ?? "",
        e.GetProperty("instance_id").GetUInt32(), e.GetProperty("version_id").GetUInt32());

    private static void WriteRegion(JsonElement m, VmStateWriter w)
    {
        var bitmap = Convert.FromHexString(m.GetProperty("bitmap").GetString() ?? "");
        var region = new MappedRamRegion(m.GetProperty("mapped_ram_length").GetInt64(), m.GetProperty("bitmap_at").GetInt64(),
            m.GetProperty("pages_at").GetInt64(), m.GetProperty("page_size").GetInt64(), bitmap.Length * 8L);
        var output = new MappedRamRegionWriter(w, region.Length);
        output.Write(region.BitmapAt, bitmap);
        foreach (var p in m.GetProperty("pages").EnumerateArray())
            output.Write(region.PageAt(p.GetProperty("index").GetInt64()), Convert.FromHexString(p.GetProperty("hex").GetString() ?? ""));
        output.End();
    }

    private static byte[] EncodeSection(JsonElement s)
    {
        if (s.TryGetProperty("raw", out var raw)) return Convert.FromHexString(raw.GetString() ?? "");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        EncodeFields(s.GetProperty("fields"), buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void EncodeFields(JsonElement fields, System.Buffers.ArrayBufferWriter<byte> w)
    {
        foreach (var f in fields.EnumerateArray()) EncodeValue(f, w);
    }

    // Every node keeps the size dump gave it: a wrong element count or a buffer of another length is refused.
    private static void EncodeValue(JsonElement v, System.Buffers.ArrayBufferWriter<byte> w)
    {
        int before = w.WrittenCount;
        EncodeNode(v, w);
        if (v.TryGetProperty("size", out var size) && size.GetInt32() != w.WrittenCount - before)
        {
            string path = v.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: {w.WrittenCount - before} bytes where its size is {size.GetInt32()} (an element count or a length changed)"));
        }
    }

    private static void EncodeNode(JsonElement v, System.Buffers.ArrayBufferWriter<byte> w)
    {
        string type = v.GetProperty("type").GetString() ?? "";
        string path = v.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "";
        if (v.TryGetProperty("elements", out var elements))
        {
            foreach (var e in elements.EnumerateArray()) EncodeValue(e, w);
            return;
        }
        if (type == "subsection")
        {
            var name = System.Text.Encoding.Latin1.GetBytes(v.GetProperty("name").GetString() ?? "");
            var head = w.GetSpan(6 + name.Length);
            head[0] = 0x05;
            head[1] = (byte)name.Length;
            name.CopyTo(head[2..]);
            BinaryPrimitives.WriteUInt32BigEndian(head[(2 + name.Length)..], v.GetProperty("subsection_version").GetUInt32());
            w.Advance(6 + name.Length);
            EncodeFields(v.GetProperty("fields"), w);
            return;
        }
        if (v.TryGetProperty("fields", out var nested))
        {
            EncodeFields(nested, w);
            return;
        }
        int size = v.GetProperty("size").GetInt32();
        var value = v.GetProperty("value");
        switch (VmStateTypes.FromName(type))
        {
            case VmStateType.Nullptr:
                w.Write([(byte)0x30]);
                return;
            case VmStateType.Capability:
                var str = System.Text.Encoding.Latin1.GetBytes(value.GetString() ?? "");
                w.Write([(byte)str.Length]);
                w.Write(str);
                return;
            case VmStateType.Bool when size == 1:
                w.Write([value.ValueKind == JsonValueKind.True ? (byte)1 : value.ValueKind == JsonValueKind.False ? (byte)0
                    : throw new ArgumentException($"{path}: a boolean is true or false")]);
                return;
            case VmStateType.Float64 when size == 8:
                WriteBits(v.TryGetProperty("bits", out var bits) ? bits.GetUInt64() : BitConverter.DoubleToUInt64Bits(value.GetDouble()), 8, w);
                return;
            case VmStateType.Int when size is 1 or 2 or 4 or 8:
                WriteBits(CheckedSigned(value, size, path), size, w);
                return;
            case VmStateType.UInt when size is 1 or 2 or 4 or 8:
                WriteBits(CheckedUnsigned(value, size, path), size, w);
                return;
            default:
                var bytes = Convert.FromHexString(value.GetString() ?? "");
                if (bytes.Length != size) throw new ArgumentException($"{path}: {bytes.Length} bytes where the size says {size}");
                w.Write(bytes);
                return;
        }
    }

    private static ulong CheckedSigned(JsonElement value, int size, string path)
    {
        if (!value.TryGetInt64(out long v)) throw new ArgumentException($"{path}: '{value}' is not a signed integer");
        int bits = size * 8;
        long min = bits == 64 ? long.MinValue : -(1L << (bits - 1)), max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        if (v < min || v > max) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{path}: {v} is outside [{min}, {max}]"));
        return (ulong)v & (bits == 64 ? ulong.MaxValue : (1UL << bits) - 1);
    }

    private static ulong CheckedUnsigned(JsonElement value, int size, string path)
    {
        if (!value.TryGetUInt64(out ulong v)) throw new ArgumentException($"{path}: '{value}' is not an unsigned integer");
        if (size < 8 && v >> (size * 8) != 0) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{path}: {v} does not fit in {size * 8} bits"));
        return v;
    }

    private static void WriteBits(ulong bits, int size, System.Buffers.ArrayBufferWriter<byte> w)
    {
        var span = w.GetSpan(size);
        for (int i = 0; i < size; i++) span[i] = (byte)(bits >> (8 * (size - 1 - i)));
        w.Advance(size);
    }
}
