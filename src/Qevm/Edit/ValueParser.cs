using System.Globalization;
using System.Text.Json;

namespace Qevm.Edit;

/// <summary>
/// Sets a decoded value from text, checked against its field: decimal, <c>0x</c> hex, negative numbers for
/// signed fields, <c>true</c>/<c>false</c> for booleans, hex bytes of the same length for buffers. Out-of-range
/// values are refused before anything changes.
/// </summary>
public static class ValueParser
{
    /// <summary>Parses <paramref name="text"/> for <paramref name="value"/> and stores it; throws <see cref="ArgumentException"/> when it does not fit.</summary>
    public static void Set(VmValue value, string text)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        switch (value)
        {
            case VmScalar s:
                s.Bits = ParseScalar(s, text);
                break;
            case VmBytes b:
                var bytes = ParseHex(text);
                if (bytes.Length != b.Bytes.Length)
                    throw new ArgumentException($"'{text}' is {bytes.Length} bytes; the field holds exactly {b.Bytes.Length}");
                b.Bytes = bytes;
                break;
            case VmString str:
                var s8 = System.Text.Encoding.Latin1.GetBytes(text);
                if (s8.Length != str.Bytes.Length)
                    throw new ArgumentException($"'{text}' has {s8.Length} bytes; the field keeps its length of {str.Bytes.Length}");
                str.Bytes = s8;
                break;
            default:
                throw new ArgumentException($"a {StateJson.TypeName(value)} is not set as a whole: name one of its members");
        }
    }

    /// <summary>
    /// Stores the JSON <paramref name="json"/> (as <c>dump --json</c> writes values) in <paramref name="value"/>, with the
    /// same checks as text: a number for an integer or a double (a string for NaN and infinities), true or false for a
    /// boolean, a hex string of the same length for bytes, a string of the same length for a counted string, null for
    /// a NULL pointer. Throws <see cref="ArgumentException"/> when it does not fit.
    /// </summary>
    public static void Set(VmValue value, JsonElement json)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value)
        {
            case VmScalar s:
                s.Bits = ParseScalar(s, json);
                break;
            case VmBytes or VmString:
                if (json.ValueKind != JsonValueKind.String)
                    throw new ArgumentException($"expected {(value is VmBytes ? "hex bytes (a string)" : "a string")}, found {JsonCursor.Describe(json)}");
                Set(value, json.GetString()!);
                break;
            case VmNull:
                if (json.ValueKind != JsonValueKind.Null) throw new ArgumentException($"expected null (a NULL pointer), found {JsonCursor.Describe(json)}");
                break;
            default:
                throw new ArgumentException($"a {StateJson.TypeName(value)} is not set as a whole: name one of its members");
        }
    }

    /// <summary>The bits for a scalar from a JSON value, range-checked as <see cref="ParseScalar(VmScalar, string)"/>.</summary>
    public static ulong ParseScalar(VmScalar s, JsonElement json)
    {
        ArgumentNullException.ThrowIfNull(s);
        return (s.Type, json.ValueKind) switch
        {
            (VmStateType.Bool, JsonValueKind.True) => 1,
            (VmStateType.Bool, JsonValueKind.False) => 0,
            (VmStateType.Bool, _) => throw new ArgumentException($"expected true or false, found {JsonCursor.Describe(json)}"),
            (VmStateType.Float64, JsonValueKind.String) => ParseScalar(s, json.GetString()!),
            (_, JsonValueKind.Number) => ParseScalar(s, json.GetRawText()),
            _ => throw new ArgumentException($"expected a number, found {JsonCursor.Describe(json)}"),
        };
    }

    /// <summary>The bits for a scalar, range-checked for its size and signedness.</summary>
    public static ulong ParseScalar(VmScalar s, string text)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(text);
        int bits = s.Size * 8;
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        switch (s.Type)
        {
            case VmStateType.Bool:
                return text switch
                {
                    "true" or "1" => 1,
                    "false" or "0" => 0,
                    _ => throw new ArgumentException($"'{text}' is not a boolean (true, false, 1, 0)"),
                };
            case VmStateType.Float64:
                if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) return ParseUnsigned(text, ulong.MaxValue);
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return BitConverter.DoubleToUInt64Bits(d);
                throw new ArgumentException($"'{text}' is not a number");
            case VmStateType.Int when text.StartsWith('-'):
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                    throw new ArgumentException($"'{text}' is not an integer");
                long min = bits == 64 ? long.MinValue : -(1L << (bits - 1));
                if (v < min) throw new ArgumentException($"{text} is below the minimum {min} of a {bits}-bit signed field");
                return (ulong)v & mask;
            case VmStateType.Int:
                ulong p = ParseUnsigned(text, mask);
                // Decimal values above the signed maximum are refused; hex gives the bit pattern as it is.
                ulong max = bits == 64 ? long.MaxValue : (1UL << (bits - 1)) - 1;
                if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && p > max)
                    throw new ArgumentException($"{text} is above the maximum {max} of a {bits}-bit signed field (give a negative number or 0x bits)");
                return p;
            default:
                if (text.StartsWith('-')) throw new ArgumentException($"{text}: the field is unsigned");
                return ParseUnsigned(text, mask);
        }
    }

    private static ulong ParseUnsigned(string text, ulong mask)
    {
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!(hex
                ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v)
                : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v)))
            throw new ArgumentException($"'{text}' is not a number (decimal or 0x hex) that fits in 64 bits");
        if (v > mask) throw new ArgumentException($"{text} does not fit in {BitOperationsCount(mask)} bits");
        return v;
    }

    private static int BitOperationsCount(ulong mask) => System.Numerics.BitOperations.PopCount(mask);

    /// <summary>Hex bytes, with or without spaces or a <c>0x</c> prefix.</summary>
    public static byte[] ParseHex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        s = s.Replace(" ", "", StringComparison.Ordinal).Replace(":", "", StringComparison.Ordinal);
        try
        {
            return Convert.FromHexString(s);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"'{text}' is not hex bytes");
        }
    }
}
