using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Qevm.Codec;

/// <summary>
/// <c>qevm dump --format analyze</c>: the document QEMU 7.2's <c>scripts/analyze-migration.py -d state</c> prints
/// (keys <c>"idstr (section_id)"</c>, integers as <c>0x…</c> strings, signed negatives with their decimal value,
/// bytes as space-separated hex, arrays as lists, subsections by name), 4-space indentation.
/// </summary>
public static class AnalyzeFormat
{
    /// <summary>Writer options matching Python's <c>json</c> module with <c>indent=4</c>.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Indented = true,
        IndentSize = 4,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the document for <paramref name="dump"/>.</summary>
    public static void Write(StateDump dump, Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(dump);
        ArgumentNullException.ThrowIfNull(w);
        var seen = new HashSet<uint>();
        var full = new Dictionary<long, SectionState>();
        foreach (var s in dump.Sections) full[s.RecordOffset] = s;
        w.WriteStartObject();
        foreach (var rec in dump.Info.Sections)
        {
            if (rec.Type is not (RecordType.SectionStart or RecordType.SectionFull) || !seen.Add(rec.Header.SectionId)) continue;
            w.WritePropertyName(string.Create(CultureInfo.InvariantCulture, $"{rec.Header.Idstr} ({(int)rec.Header.SectionId})"));
            if (rec.Type == RecordType.SectionStart)
            {
                WriteIterative(rec, dump.Info, w);
            }
            else if (full.TryGetValue(rec.RecordOffset, out var state) && state.Root is { } root)
            {
                WriteStruct(root, state, w);
            }
            else
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
        }
        w.WriteEndObject();
    }

    private static void WriteIterative(SectionInfo rec, StreamInfo info, Utf8JsonWriter w)
    {
        switch (rec.Header.Idstr)
        {
            case "ram":
                w.WriteStartObject();
                w.WriteStartObject("section sizes");
                foreach (var b in info.Ram?.Blocks ?? [])
                    w.WriteString(b.Name, string.Create(CultureInfo.InvariantCulture, $"0x{b.UsedLength:x16}"));
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case "spapr/htab":
                w.WriteStringValue("");
                break;
            default:
                w.WriteStartObject();
                w.WriteEndObject();
                break;
        }
    }

    private static void WriteStruct(VmStruct s, SectionState state, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var (name, value) in s.Members)
        {
            w.WritePropertyName(name);
            WriteValue(value, state, w);
        }
        w.WriteEndObject();
    }

    private static void WriteValue(VmValue v, SectionState state, Utf8JsonWriter w)
    {
        switch (v)
        {
            case VmArray a:
                w.WriteStartArray();
                foreach (var e in a.Elements) WriteValue(e, state, w);
                w.WriteEndArray();
                break;
            case VmStruct s when v.Field is null || v.Field.Type is VmStateType.Struct:
                WriteStruct(s, state, w);
                break;
            case VmScalar sc when v.Field is { } f && AnalyzeInt(f.TypeName) is { } signed:
                string hex = "0x" + sc.Bits.ToString("x" + (sc.Size * 2).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                w.WriteStringValue(signed && sc.AsInt64 < 0 ? string.Create(CultureInfo.InvariantCulture, $"{hex} ({sc.AsInt64})") : hex);
                break;
            case VmScalar { Type: VmStateType.Bool } b when v.Field?.TypeName == "bool":
                w.WriteBooleanValue(b.Bits != 0);
                break;
            default:
                // analyze-migration.py reads every other type as `size` bytes and prints them as hex.
                w.WriteStringValue(HexBytes(state.Payload.AsSpan((int)(v.Offset - state.PayloadOffset), v.Length)));
                break;
        }
    }

    // The script's integer readers: signed (VMSDFieldInt) or unsigned (VMSDFieldUInt); null for every other type.
    private static bool? AnalyzeInt(string type) => type switch
    {
        "int8" or "int16" or "int32" or "int32 equal" or "int32 le" or "int64" or "int64 equal" or "uint8 equal" or "uint16 equal" => true,
        "uint8" or "uint16" or "uint32" or "uint32 equal" or "uint64" => false,
        _ => null,
    };

    private static string HexBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return "";
        var sb = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
