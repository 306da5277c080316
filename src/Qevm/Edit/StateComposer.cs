using System.Globalization;
using System.Text.Json;

namespace Qevm.Edit;

/// <summary>
/// Writes a stream from the <c>dump --json</c> form (possibly edited): the records in order, FULL sections from
/// their raw hex or from their fields, built into a value tree (<see cref="VmStruct"/>, checked by
/// <see cref="ValueParser"/>) and encoded by <see cref="VmStateCodec.Encode(VmStruct)"/>. Every node keeps the size the dump
/// gave it. Anything wrong in the JSON is a <see cref="VmStateFormatException"/> naming its JSON path.
/// </summary>
public static class StateComposer
{
    private const VmStateError Bad = VmStateError.BadDocument;
    private const int MaxDepth = 512;

    /// <summary>Writes the stream <paramref name="json"/> describes to <paramref name="output"/>.</summary>
    public static void Compose(ReadOnlyMemory<byte> json, System.IO.Stream output)
    {
        using var doc = JsonCursor.Parse(json, Bad, "the JSON of `dump --json`", maxDepth: MaxDepth);
        var root = JsonCursor.Root(doc, Bad);
        root.ExpectKind(JsonValueKind.Object, "an object (the output of `dump --json`)");
        var records = root.Required("records", "the records of the stream");
        using var w = new VmStateWriter(output, leaveOpen: true);
        foreach (var r in records.Items())
        {
            var typeAt = r.Required("type", "a record type");
            string type = typeAt.String();
            switch (type)
            {
                case "header":
                    w.WriteHeader(r.Required("version").UInt32());
                    break;
                case "configuration":
                    w.WriteRaw([0x07]);
                    w.WriteRaw(r.Required("hex").Hex());
                    break;
                case "command":
                    ushort cmd = r.Required("cmd").UInt16();
                    var hexAt = r.Required("hex");
                    var payload = hexAt.Hex();
                    if (payload.Length > ushort.MaxValue) throw hexAt.Refuse("a command payload has at most 65535 bytes");
                    w.WriteCommand(cmd, payload);
                    break;
                case "full":
                    var s = root.Required("sections", "the sections the records refer to")[r.Required("section").Int32()];
                    var header = Header(s);
                    var data = EncodeSection(s, json.Length);
                    w.WriteSectionHeader(RecordType.SectionFull, header);
                    w.WriteSectionData(data);
                    break;
                case "start" or "part" or "end":
                    w.WriteSectionHeader(type == "start" ? RecordType.SectionStart : type == "part" ? RecordType.SectionPart : RecordType.SectionEnd, Header(r));
                    foreach (var item in r.Required("items").Items())
                    {
                        if (item.Kind == JsonValueKind.String) w.WriteSectionData(item.Hex());
                        else if (item.Kind == JsonValueKind.Object) WriteRegionAt(item, w);
                        else throw item.Fail("hex bytes (a string) or a mapped-ram region (an object)");
                    }
                    break;
                case "footer":
                    w.WriteFooter(r.Required("section_id").UInt32());
                    break;
                case "eof":
                    w.WriteEof();
                    break;
                case "trailer":
                    w.WriteTrailer(System.Text.Encoding.Latin1.GetBytes(r.Required("json").String()));
                    break;
                default:
                    throw typeAt.Fail("a record type (header, configuration, command, full, start, part, end, footer, eof, trailer)", JsonCursor.Shown(type));
            }
        }
    }

    /// <summary>
    /// The container the dump names (<c>"container"</c>: a libvirt save header, a compression), or null for a
    /// bare stream; a container that is not complete is a <see cref="VmStateFormatException"/> naming its path.
    /// </summary>
    public static VmStateContainer? ReadContainer(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonCursor.Parse(json, Bad, "the JSON of `dump --json`", maxDepth: MaxDepth);
        var root = JsonCursor.Root(doc, Bad);
        if (root.Kind != JsonValueKind.Object || !root.TryGet("container", out var c)) return null;
        var kind = c.Required("kind", "a container kind");
        switch (kind.String())
        {
            case "libvirt":
                c.Required("xml").String();
                if (c.TryGet("cookie", out var cookie)) cookie.String();
                c.Required("magic").String();
                c.Required("byte_order").String();
                foreach (var n in (string[])["data_len", "version", "was_running", "format", "cookie_offset"]) c.Required(n).UInt32();
                break;
            case "compressed":
                var name = c.Required("compression");
                try
                {
                    Compression.Parse(name.String());
                }
                catch (ArgumentException)
                {
                    throw name.Fail("raw, gzip, bzip2, xz, lzop or zstd", JsonCursor.Shown(name.String()));
                }
                break;
            default:
                return null;
        }
        try
        {
            return VmStateContainer.FromJson(c.Element);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException or OverflowException)
        {
            throw c.Refuse("a container that cannot be written (" + e.GetType().Name + ")");
        }
    }

    private static SectionHeader Header(JsonCursor e)
    {
        var idstrAt = e.Required("idstr");
        string idstr = idstrAt.String();
        int length = System.Text.Encoding.Latin1.GetByteCount(idstr);
        if (length is 0 or > 255) throw idstrAt.Fail("an idstr of 1 to 255 bytes", length.ToString(CultureInfo.InvariantCulture) + " bytes");
        return new(e.Required("section_id").UInt32(), idstr, e.Required("instance_id").UInt32(), e.Required("version_id").UInt32());
    }

    // The region's reader is below; what it cannot read is named by the item's path.
    private static void WriteRegionAt(JsonCursor item, VmStateWriter w)
    {
        try
        {
            WriteRegion(item.Element, w);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            throw item.Refuse("not a mapped-ram region as `dump --json` writes it (" + e.GetType().Name + ")");
        }
    }

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

    private static byte[] EncodeSection(JsonCursor s, int documentLength)
    {
        if (s.TryGet("raw", out var raw)) return raw.Hex();
        string name = s.TryGet("vmsd_name", out var n) ? n.String() : "";
        var sizes = new List<SizeCheck>();
        var root = BuildStruct(s.Required("fields", "the fields of the section"), name, null, documentLength, sizes);
        // One pass of the one encoder gives every node its length; each must be the size the dump gave it,
        // the innermost first: a wrong element count or a buffer of another length is refused.
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        VmStateCodec.EncodeCaptured(root, output);
        foreach (var c in sizes)
            if (c.Node.Length != c.Size)
                throw c.At.Refuse(string.Create(CultureInfo.InvariantCulture,
                    $"{c.DumpPath}: {c.Node.Length} bytes where its size is {c.Size} (an element count or a length changed)"));
        return output.WrittenSpan.ToArray();
    }

    private readonly record struct SizeCheck(VmValue Node, int Size, JsonCursor At, string DumpPath);

    private static VmStruct BuildStruct(JsonCursor fields, string name, uint? subsectionVersion, int documentLength, List<SizeCheck> sizes)
    {
        var st = new VmStruct { Description = new VmStateDescription(name, 0, []), SubsectionVersion = subsectionVersion };
        foreach (var f in fields.Items())
        {
            var nameAt = f.Required("name", "the member's name");
            string member = nameAt.String();
            var value = BuildValue(f, documentLength, sizes);
            if (value is VmStruct { SubsectionVersion: not null } && System.Text.Encoding.Latin1.GetByteCount(member) is 0 or > 255)
                throw nameAt.Fail("a subsection name of 1 to 255 bytes", JsonCursor.Shown(member));
            st.Add(member, value);
        }
        return st;
    }

    // One node of the tree; its size, when the dump gives one, is checked once the tree is encoded.
    private static VmValue BuildValue(JsonCursor v, int documentLength, List<SizeCheck> sizes)
    {
        string type = v.Required("type", "a type").String();
        string path = v.TryGet("path", out var p) && p.Kind == JsonValueKind.String ? p.String() : "";
        int? size = v.TryGet("size", out var sizeAt) ? sizeAt.Int32(0, documentLength) : null;
        VmValue node;
        if (v.TryGet("elements", out var elements))
        {
            var array = new VmArray();
            foreach (var e in elements.Items()) array.Add(BuildValue(e, documentLength, sizes));
            node = array;
        }
        else if (type == "subsection")
        {
            node = BuildStruct(v.Required("fields"), v.TryGet("vmsd_name", out var n) ? n.String() : "", v.Required("subsection_version").UInt32(), documentLength, sizes);
        }
        else if (v.TryGet("fields", out var nested))
        {
            node = BuildStruct(nested, v.TryGet("vmsd_name", out var n) ? n.String() : "", null, documentLength, sizes);
        }
        else
        {
            node = Leaf(v, type, size ?? throw v.Required("size").Fail("a size"), path);
        }
        if (size is { } expected) sizes.Add(new SizeCheck(node, expected, v, path));
        return node;
    }
    // A leaf as the decoder makes it for that type and size, its value set by ValueParser's checks.
    private static VmValue Leaf(JsonCursor v, string type, int size, string path)
    {
        var kind = VmStateTypes.FromName(type);
        VmValue leaf = kind switch
        {
            VmStateType.Nullptr => new VmNull(),
            VmStateType.Capability => new VmString { Bytes = new byte[Math.Max(0, size - 1)] },
            VmStateType.Bool when size == 1 => new VmScalar { Size = 1, Type = kind },
            VmStateType.Float64 when size == 8 => new VmScalar { Size = 8, Type = kind },
            VmStateType.Int or VmStateType.UInt when size is 1 or 2 or 4 or 8 => new VmScalar { Size = size, Type = kind },
            _ => new VmBytes { Bytes = new byte[size] },
        };
        if (leaf is VmScalar { Type: VmStateType.Float64 } f && v.TryGet("bits", out var bits))
        {
            f.Bits = bits.UInt64();
            return leaf;
        }
        if (leaf is VmNull) return leaf;
        var value = v.Required("value", "the value");
        try
        {
            ValueParser.Set(leaf, value.Element);
        }
        catch (ArgumentException e)
        {
            throw value.Refuse(path.Length > 0 ? path + ": " + e.Message : e.Message);
        }
        return leaf;
    }
}
