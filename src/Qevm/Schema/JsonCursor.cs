using System.Globalization;
using System.Text.Json;

namespace Qevm.Schema;

/// <summary>
/// A JSON value with its path from the document's root (<c>$.records[0].type</c>): required and optional
/// property access, array items and typed reads that throw <see cref="VmStateFormatException"/> naming the path
/// (<c>$.records[0].type: missing</c>, <c>$.sections[2].fields[0].value: expected a number, found a string</c>),
/// never .NET's own messages. Every JSON input (compose documents, schemas, catalogues, trailers) is read with it.
/// </summary>
internal readonly struct JsonCursor
{
    private const int MaxShown = 40;

    /// <summary>Wraps <paramref name="element"/>, found at <paramref name="path"/>; faults get <paramref name="error"/> and <paramref name="offset"/>.</summary>
    public JsonCursor(JsonElement element, string path, VmStateError error, long offset = 0)
    {
        Element = element;
        Path = path;
        Error = error;
        Offset = offset;
    }

    /// <summary>The value.</summary>
    public JsonElement Element { get; }

    /// <summary>Its path from the root, <c>$</c> for the root.</summary>
    public string Path { get; }

    /// <summary>The code of the faults thrown.</summary>
    public VmStateError Error { get; }

    /// <summary>Where the JSON starts in a stream (a trailer), else 0.</summary>
    public long Offset { get; }

    /// <summary>The kind of the value.</summary>
    public JsonValueKind Kind => Element.ValueKind;

    /// <summary>Parses <paramref name="json"/>; a syntax error names its line and byte. Dispose the document.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> json, VmStateError error, string what, long offset = 0, int maxDepth = 256)
    {
        RequireUtf8(json.Span, error, what, offset);
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException e)
        {
            throw VmStateFormatException.InJson(error, "$", what, string.Create(CultureInfo.InvariantCulture,
                $"no valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}"), offset);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="json"/> is UTF-8: <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>
    /// accepts other bytes inside strings and fails only when one is read, with an InvalidOperationException.
    /// </summary>
    internal static void RequireUtf8(ReadOnlySpan<byte> json, VmStateError error, string what, long offset)
    {
        if (System.Text.Unicode.Utf8.IsValid(json)) return;
        int at = 0;
        while (System.Text.Rune.DecodeFromUtf8(json[at..], out _, out int length) == System.Buffers.OperationStatus.Done) at += length;
        throw VmStateFormatException.InJson(error, "$", what, string.Create(CultureInfo.InvariantCulture, $"bytes that are not UTF-8 at byte {at + 1}"), offset);
    }

    /// <summary>The root of <paramref name="doc"/>.</summary>
    public static JsonCursor Root(JsonDocument doc, VmStateError error, long offset = 0) => new(doc.RootElement, "$", error, offset);

    /// <summary>The property <paramref name="name"/> of this object; throws when this is not an object or it is absent.</summary>
    public JsonCursor Required(string name, string expected = "a value")
    {
        if (TryGet(name, out var value)) return value;
        throw VmStateFormatException.MissingInJson(Error, Member(name), expected, Offset);
    }

    /// <summary>The property <paramref name="name"/> of this object when present and not null; throws when this is not an object.</summary>
    public bool TryGet(string name, out JsonCursor value)
    {
        ExpectKind(JsonValueKind.Object, "an object");
        if (Element.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null)
        {
            value = new JsonCursor(e, Member(name), Error, Offset);
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>Whether this is an object with the property <paramref name="name"/> (null or not).</summary>
    public bool Has(string name) => Kind == JsonValueKind.Object && Element.TryGetProperty(name, out _);

    /// <summary>The items of this array; throws when this is not an array.</summary>
    public IEnumerable<JsonCursor> Items()
    {
        ExpectKind(JsonValueKind.Array, "an array");
        return ItemsOf(this);

        static IEnumerable<JsonCursor> ItemsOf(JsonCursor a)
        {
            int i = 0;
            foreach (var e in a.Element.EnumerateArray())
                yield return new JsonCursor(e, a.Path + "[" + (i++).ToString(CultureInfo.InvariantCulture) + "]", a.Error, a.Offset);
        }
    }

    /// <summary>The number of items of this array.</summary>
    public int Count
    {
        get
        {
            ExpectKind(JsonValueKind.Array, "an array");
            return Element.GetArrayLength();
        }
    }

    /// <summary>Item <paramref name="index"/> of this array; throws when there is none.</summary>
    public JsonCursor this[int index]
    {
        get
        {
            string path = Path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
            if (index < 0 || index >= Count) throw VmStateFormatException.MissingInJson(Error, path, "an item", Offset);
            return new JsonCursor(Element[index], path, Error, Offset);
        }
    }

    /// <summary>The properties of this object, in order (duplicates kept).</summary>
    public IEnumerable<(string Name, JsonCursor Value)> Properties()
    {
        ExpectKind(JsonValueKind.Object, "an object");
        return PropertiesOf(this);

        static IEnumerable<(string, JsonCursor)> PropertiesOf(JsonCursor o)
        {
            foreach (var p in o.Element.EnumerateObject())
                yield return (p.Name, new JsonCursor(p.Value, o.Member(p.Name), o.Error, o.Offset));
        }
    }

    /// <summary>This string.</summary>
    public string String()
    {
        ExpectKind(JsonValueKind.String, "a string");
        try
        {
            return Element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // An escape such as a lone surrogate parses but cannot be read as text.
            throw Fail("a string", "a string that is not valid text");
        }
    }

    /// <summary>This boolean.</summary>
    public bool Boolean() => Kind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Fail("true or false", Describe(Element)),
    };

    /// <summary>This number as an unsigned 16-bit integer.</summary>
    public ushort UInt16() => Number(static (JsonElement e, out ushort v) => e.TryGetUInt16(out v), "an unsigned 16-bit integer");

    /// <summary>This number as an unsigned 32-bit integer.</summary>
    public uint UInt32() => Number(static (JsonElement e, out uint v) => e.TryGetUInt32(out v), "an unsigned 32-bit integer");

    /// <summary>This number as a signed 32-bit integer.</summary>
    public int Int32() => Number(static (JsonElement e, out int v) => e.TryGetInt32(out v), "a 32-bit integer");

    /// <summary>This number as a signed 64-bit integer.</summary>
    public long Int64() => Number(static (JsonElement e, out long v) => e.TryGetInt64(out v), "a 64-bit integer");

    /// <summary>This number as an unsigned 64-bit integer.</summary>
    public ulong UInt64() => Number(static (JsonElement e, out ulong v) => e.TryGetUInt64(out v), "an unsigned 64-bit integer");

    /// <summary>This non-negative number, at most <paramref name="max"/>.</summary>
    public int Int32(int min, int max)
    {
        int v = Int32();
        if (v < min || v > max)
            throw Fail(string.Create(CultureInfo.InvariantCulture, $"an integer in [{min}, {max}]"), v.ToString(CultureInfo.InvariantCulture));
        return v;
    }

    /// <summary>This string of hex digits as bytes.</summary>
    public byte[] Hex()
    {
        var s = String();
        try
        {
            return Convert.FromHexString(s);
        }
        catch (FormatException)
        {
            throw Fail("hex bytes", Shown(s));
        }
    }

    /// <summary>A fault at this value: <c>PATH: expected EXPECTED, found FOUND</c>.</summary>
    public VmStateFormatException Fail(string expected, string found) => VmStateFormatException.InJson(Error, Path, expected, found, Offset);

    /// <summary>A value refused for <paramref name="reason"/>: <c>PATH: REASON</c>.</summary>
    public VmStateFormatException Refuse(string reason) => VmStateFormatException.RefusedInJson(Error, Path, reason, Offset);

    /// <summary>A fault at this value, found being what the value is (<c>a string</c>, <c>-1</c>).</summary>
    public VmStateFormatException Fail(string expected) => Fail(expected, Describe(Element));

    /// <summary>Throws unless this value is of <paramref name="kind"/>.</summary>
    public void ExpectKind(JsonValueKind kind, string expected)
    {
        if (Kind != kind) throw Fail(expected, Describe(Element));
    }

    private delegate bool TryRead<T>(JsonElement e, out T value);

    private T Number<T>(TryRead<T> read, string expected)
    {
        if (Kind != JsonValueKind.Number || !read(Element, out var v)) throw Fail(expected, Describe(Element));
        return v;
    }

    /// <summary>How a value is named in a message: its kind, or a number's text.</summary>
    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => e.GetRawText() is { Length: > MaxShown } n ? n[..MaxShown] + "…" : e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    internal static string Shown(string s) => s.Length <= MaxShown ? "'" + s + "'" : "'" + s[..MaxShown] + "…'";

    private string Member(string name)
    {
        bool plain = name.Length > 0;
        foreach (char c in name) plain &= char.IsAsciiLetterOrDigit(c) || c == '_';
        return plain ? Path + "." + name : Path + "['" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "']";
    }
}
