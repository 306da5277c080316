using System.Globalization;
using System.Text.Json;

namespace Qevm.Codec;

/// <summary>
/// <c>qevm dump --json</c>: every FULL section with every field (path, type, offset, size, value). Integers are
/// exact JSON numbers (64-bit without loss), booleans JSON booleans, bytes lower-case hex.
/// </summary>
public static class StateJson
{
    /// <summary>
    /// Writes the dump of <paramref name="dump"/>, only the sections <paramref name="select"/> accepts. With
    /// <paramref name="recordsFrom"/> (the same stream, read again from its start), it also writes every record
    /// under <c>"records"</c>, as it reads them: what <c>compose</c> needs to write the stream again.
    /// </summary>
    public static void Write(StateDump dump, Utf8JsonWriter w, Func<SectionState, bool>? select = null, System.IO.Stream? recordsFrom = null)
    {
        ArgumentNullException.ThrowIfNull(dump);
        ArgumentNullException.ThrowIfNull(w);
        var info = dump.Info;
        w.WriteStartObject();
        switch (info.Container)
        {
            case LibvirtSaveHeader l:
                w.WritePropertyName("container");
                l.WriteJson(w, withText: true);
                break;
            case { } other:
                w.WritePropertyName("container");
                other.WriteJson(w);
                break;
        }
        w.WriteString("kind", StreamKinds.Name(info.Kind));
        if (info.Configuration is { } c) w.WriteString("machine", c.Machine); else w.WriteNull("machine");
        w.WriteStartArray("sections");
        foreach (var s in dump.Sections)
        {
            if (select is not null && !select(s)) continue;
            w.WriteStartObject();
            w.WriteString("path", s.Path);
            w.WriteString("idstr", s.Header.Idstr);
            w.WriteNumber("instance_id", s.Header.InstanceId);
            w.WriteNumber("section_id", s.Header.SectionId);
            w.WriteNumber("version_id", s.Header.VersionId);
            w.WriteNumber("record_offset", s.RecordOffset);
            w.WriteNumber("payload_offset", s.PayloadOffset);
            w.WriteNumber("payload_length", s.Payload.Length);
            if (s.Root is { } root)
            {
                w.WriteString("vmsd_name", root.Description.Name);
                w.WriteString("schema", s.Source);
                w.WriteBoolean("certain", !s.Inferred);
                w.WriteStartArray("fields");
                WriteMembers(root, s.Path, w);
                w.WriteEndArray();
            }
            else
            {
                w.WriteNull("schema");
                w.WriteBoolean("certain", false);
                w.WriteString("raw", Convert.ToHexStringLower(s.Payload));
            }
            if (s.Problems.Count > 0)
            {
                w.WriteStartArray("problems");
                foreach (var p in s.Problems) w.WriteStringValue(p);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (recordsFrom is not null) WriteRecords(recordsFrom, w);
        w.WriteEndObject();
    }

    // Everything else of the stream, in order, so that `compose` can write it again; FULL sections refer to
    // their entry in "sections" by index. Written while reading, flushed as it goes: memory stays bounded.
    private static void WriteRecords(System.IO.Stream input, Utf8JsonWriter w)
    {
        using var r = new VmStateReader(input, null, leaveOpen: true);
        int full = 0;
        w.WriteStartArray("records");
        while (r.Read())
        {
            w.WriteStartObject();
            switch (r.RecordType)
            {
                case RecordType.FileHeader:
                    w.WriteString("type", "header");
                    w.WriteNumber("version", r.Version);
                    break;
                case RecordType.Configuration:
                    w.WriteString("type", "configuration");
                    w.WriteString("hex", Convert.ToHexStringLower(r.Payload));
                    break;
                case RecordType.Command:
                    w.WriteString("type", "command");
                    w.WriteNumber("cmd", r.Command);
                    w.WriteString("name", MigCommands.Name(r.Command));
                    w.WriteString("hex", Convert.ToHexStringLower(r.Payload));
                    break;
                case RecordType.SectionFull:
                    w.WriteString("type", "full");
                    w.WriteNumber("section", full++);
                    break;
                case RecordType.SectionStart or RecordType.SectionPart or RecordType.SectionEnd:
                    w.WriteString("type", r.RecordType == RecordType.SectionStart ? "start" : r.RecordType == RecordType.SectionPart ? "part" : "end");
                    w.WriteNumber("section_id", r.Section!.SectionId);
                    w.WriteString("idstr", r.Section.Idstr);
                    w.WriteNumber("instance_id", r.Section.InstanceId);
                    w.WriteNumber("version_id", r.Section.VersionId);
                    w.WriteStartArray("items");
                    while (r.ReadItem())
                    {
                        if (r.Item.Kind == IterativeItemKind.RamMappedRegion) WriteRegion(r, w);
                        else w.WriteStringValue(Convert.ToHexStringLower(r.ItemBytes));
                        if (w.BytesPending > 1 << 20) w.Flush();
                    }
                    w.WriteEndArray();
                    break;
                case RecordType.SectionFooter:
                    w.WriteString("type", "footer");
                    w.WriteNumber("section_id", r.Section!.SectionId);
                    break;
                case RecordType.Eof:
                    w.WriteString("type", "eof");
                    break;
                case RecordType.VmDescription:
                    w.WriteString("type", "trailer");
                    w.WriteString("json", System.Text.Encoding.Latin1.GetString(r.Payload));
                    break;
            }
            w.WriteEndObject();
            if (w.BytesPending > 1 << 20) w.Flush();
        }
        w.WriteEndArray();
    }

    // A mapped-ram region (§11.6): its bitmap and the pages the bitmap marks present; the rest are holes.
    private static void WriteRegion(VmStateReader r, Utf8JsonWriter w)
    {
        var region = r.MappedRegion;
        var bitmap = r.ReadMappedBitmap();
        var page = new byte[region.PageSize];
        w.WriteStartObject();
        w.WriteNumber("mapped_ram_length", region.Length);
        w.WriteNumber("bitmap_at", region.BitmapAt);
        w.WriteString("bitmap", Convert.ToHexStringLower(bitmap));
        w.WriteNumber("pages_at", region.PagesAt);
        w.WriteNumber("page_size", region.PageSize);
        w.WriteStartArray("pages");
        foreach (var p in region.PresentPages(bitmap))
        {
            r.ReadRegion(p.At, page);
            w.WriteStartObject();
            w.WriteNumber("index", p.Index);
            w.WriteString("hex", Convert.ToHexStringLower(page));
            w.WriteEndObject();
            if (w.BytesPending > 1 << 20) w.Flush();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMembers(VmStruct s, string path, Utf8JsonWriter w)
    {
        foreach (var (name, value) in s.Members)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            WriteValueBody(value, path + "/" + FieldPath.Segment(s, name), w);
            w.WriteEndObject();
        }
    }

    private static void WriteValueBody(VmValue v, string path, Utf8JsonWriter w)
    {
        w.WriteString("path", path);
        w.WriteString("type", TypeName(v));
        if (v.Field?.Inferred == true) w.WriteBoolean("inferred", true);
        w.WriteNumber("offset", v.Offset);
        w.WriteNumber("size", v.Length);
        switch (v)
        {
            case VmScalar sc:
                switch (sc.Type)
                {
                    case VmStateType.Bool: w.WriteBoolean("value", sc.Bits != 0); break;
                    case VmStateType.Int: w.WriteNumber("value", sc.AsInt64); break;
                    case VmStateType.Float64:
                        w.WriteNumber("bits", sc.Bits);
                        if (double.IsFinite(sc.AsDouble)) w.WriteNumber("value", sc.AsDouble); else w.WriteString("value", sc.AsDouble.ToString(CultureInfo.InvariantCulture));
                        break;
                    default: w.WriteNumber("value", sc.Bits); break;
                }
                break;
            case VmBytes b:
                w.WriteString("value", Convert.ToHexStringLower(b.Bytes));
                break;
            case VmString str:
                w.WriteString("value", str.Text);
                break;
            case VmNull:
                w.WriteNull("value");
                break;
            case VmArray a:
                w.WriteStartArray("elements");
                for (int i = 0; i < a.Elements.Count; i++)
                {
                    w.WriteStartObject();
                    WriteValueBody(a.Elements[i], path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", w);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case VmStruct st:
                w.WriteString("vmsd_name", st.Description.Name);
                if (st.SubsectionVersion is { } ver) w.WriteNumber("subsection_version", ver);
                w.WriteStartArray("fields");
                WriteMembers(st, path, w);
                w.WriteEndArray();
                break;
        }
    }

    /// <summary>The type shown for a value: QEMU's type name, <c>array</c> or <c>subsection</c>.</summary>
    public static string TypeName(VmValue v) => v switch
    {
        VmArray => "array",
        VmStruct { SubsectionVersion: not null } => "subsection",
        VmNull => "nullptr",
        _ => v.Field?.TypeName ?? "struct",
    };
}
