using System.Text;
using System.Text.Json;

namespace Qevm.Qmp.Server;

/// <summary>
/// Reads one QMP message with QEMU 7.2's JSON grammar (<c>qobject/json-lexer.c</c>, <c>json-parser.c</c>) so its
/// faults are reported in QEMU's words ("JSON parse error, invalid keyword 'not'", "... expecting value", "... stray
/// '@'", ...) and its extensions (single-quoted strings, <c>\'</c>) are accepted. A message that reads is rewritten as
/// standard JSON for <see cref="JsonDocument"/>. Only the first fault is reported, as <c>parse_error</c> keeps the
/// first.
/// </summary>
internal static class QmpJsonParser
{
    private enum Kind { LCurly, RCurly, LSquare, RSquare, Colon, Comma, Integer, Float, Keyword, String }

    private readonly record struct Token(Kind Kind, int Start, int Length);

    private sealed class Fault(string message, int resume = -1) : Exception(message)
    {
        public int Resume { get; } = resume;
    }

    /// <summary>
    /// The message as standard JSON, or null and QEMU's description of the first fault. After a stray byte QEMU's
    /// lexer skips to the next structural or control byte and reads on from there as from a new message:
    /// <paramref name="resume"/> is that offset (or -1), for the caller to read the rest as QEMU would.
    /// </summary>
    public static byte[]? Normalize(ReadOnlySpan<byte> message, out string? error, out int resume)
    {
        error = null;
        resume = -1;
        try
        {
            var tokens = Lex(message);
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(output, new JsonWriterOptions { MaxDepth = 2048 }))
            {
                int at = 0;
                Value(message, tokens, ref at, w);
            }
            return output.WrittenSpan.ToArray();
        }
        catch (Fault f)
        {
            error = "JSON parse error, " + f.Message;
            resume = f.Resume;
            return null;
        }
    }

    // json-lexer.c: the tokens of the message; a byte no token may hold is a "stray" one (the text of the token
    // so far, with that byte). The end of the message ends the last token, as a flush does.
    private static List<Token> Lex(ReadOnlySpan<byte> s)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < s.Length)
        {
            byte b = s[i];
            int start = i;
            switch (b)
            {
                case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    i++;
                    continue;
                case (byte)'{': tokens.Add(new(Kind.LCurly, i++, 1)); continue;
                case (byte)'}': tokens.Add(new(Kind.RCurly, i++, 1)); continue;
                case (byte)'[': tokens.Add(new(Kind.LSquare, i++, 1)); continue;
                case (byte)']': tokens.Add(new(Kind.RSquare, i++, 1)); continue;
                case (byte)':': tokens.Add(new(Kind.Colon, i++, 1)); continue;
                case (byte)',': tokens.Add(new(Kind.Comma, i++, 1)); continue;
                case (byte)'"' or (byte)'\'':
                    i++;
                    while (true)
                    {
                        if (i >= s.Length || s[i] is < 0x20 or > 0xFD) throw Stray(s, start, i);
                        if (s[i] == b)
                        {
                            i++;
                            break;
                        }
                        if (s[i] == '\\')
                        {
                            i++;
                            if (i >= s.Length || s[i] is < 0x20 or > 0xFD) throw Stray(s, start, i);
                        }
                        i++;
                    }
                    tokens.Add(new(Kind.String, start, i - start));
                    continue;
                case >= (byte)'a' and <= (byte)'z':
                    while (i < s.Length && s[i] is >= (byte)'a' and <= (byte)'z') i++;
                    tokens.Add(new(Kind.Keyword, start, i - start));
                    continue;
                case (byte)'-' or (>= (byte)'0' and <= (byte)'9'):
                    tokens.Add(Number(s, ref i));
                    continue;
                default:
                    throw Stray(s, start, i);
            }
        }
        return tokens;
    }

    // IN_SIGN, IN_ZERO, IN_DIGITS, IN_MANTISSA, IN_EXP_*: RFC 8259 numbers; "01" and "1." are stray.
    private static Token Number(ReadOnlySpan<byte> s, ref int i)
    {
        int start = i;
        if (s[i] == '-')
        {
            i++;
            if (i >= s.Length || s[i] is < (byte)'0' or > (byte)'9') throw Stray(s, start, i);
        }
        if (s[i] == '0')
        {
            i++;
            if (i < s.Length && s[i] is >= (byte)'0' and <= (byte)'9') throw Stray(s, start, i);
            if (i < s.Length && s[i] == '.') return Fraction(s, start, ref i);
            return new(Kind.Integer, start, i - start);
        }
        while (i < s.Length && s[i] is >= (byte)'0' and <= (byte)'9') i++;
        if (i < s.Length && s[i] == '.') return Fraction(s, start, ref i);
        if (i < s.Length && s[i] is (byte)'e' or (byte)'E') return Exponent(s, start, ref i);
        return new(Kind.Integer, start, i - start);
    }

    private static Token Fraction(ReadOnlySpan<byte> s, int start, ref int i)
    {
        i++;
        if (i >= s.Length || s[i] is < (byte)'0' or > (byte)'9') throw Stray(s, start, i);
        while (i < s.Length && s[i] is >= (byte)'0' and <= (byte)'9') i++;
        if (i < s.Length && s[i] is (byte)'e' or (byte)'E') return Exponent(s, start, ref i);
        return new(Kind.Float, start, i - start);
    }

    private static Token Exponent(ReadOnlySpan<byte> s, int start, ref int i)
    {
        i++;
        if (i < s.Length && s[i] is (byte)'+' or (byte)'-') i++;
        if (i >= s.Length || s[i] is < (byte)'0' or > (byte)'9') throw Stray(s, start, i);
        while (i < s.Length && s[i] is >= (byte)'0' and <= (byte)'9') i++;
        return new(Kind.Float, start, i - start);
    }

    // The streamer's "stray" error: the token's text up to and including the byte that cannot continue it (at the
    // end of the message, the text so far).
    private static Fault Stray(ReadOnlySpan<byte> s, int start, int at)
    {
        string text = Encoding.UTF8.GetString(s[start..Math.Min(at + 1, s.Length)]);
        if (at >= s.Length) return new($"stray '{text}'");
        // IN_RECOVERY: resynchronise at a structural character, a control character other than tab, or 0xFE/0xFF.
        int resume = at + 1;
        while (resume < s.Length && s[resume] is not ((< 0x20 and not (byte)'\t') or 0xFE or 0xFF
                   or (byte)'[' or (byte)']' or (byte)'{' or (byte)'}' or (byte)':' or (byte)',')) resume++;
        return new($"stray '{text}'", resume < s.Length ? resume : -1);
    }

    private static string Text(ReadOnlySpan<byte> s, Token t) => Encoding.UTF8.GetString(s.Slice(t.Start, t.Length));

    // parse_value: a null result is an error already reported, or "expecting value".
    private static Kind? Value(ReadOnlySpan<byte> s, List<Token> tokens, ref int at, Utf8JsonWriter w)
    {
        if (at >= tokens.Count) throw new Fault("premature EOI");
        var t = tokens[at];
        switch (t.Kind)
        {
            case Kind.LCurly:
                Object(s, tokens, ref at, w);
                return t.Kind;
            case Kind.LSquare:
                Array(s, tokens, ref at, w);
                return t.Kind;
            case Kind.Integer or Kind.Float:
                at++;
                w.WriteRawValue(Number(s.Slice(t.Start, t.Length), t.Kind), skipInputValidation: true);
                return t.Kind;
            case Kind.String:
                at++;
                w.WriteStringValue(String(s, t));
                return t.Kind;
            case Kind.Keyword:
                at++;
                switch (Text(s, t))
                {
                    case "true": w.WriteBooleanValue(true); break;
                    case "false": w.WriteBooleanValue(false); break;
                    case "null": w.WriteNullValue(); break;
                    default: throw new Fault($"invalid keyword '{Text(s, t)}'");
                }
                return t.Kind;
            default:
                throw new Fault("expecting value");
        }
    }

    // parse_literal and qnum_to_string: an integer is kept as a signed or unsigned 64-bit number if it fits, anything
    // else becomes a double written as "%.17g" (QEMU echoes an id of -0.5e3 as -500, of -0 as 0).
    private static string Number(ReadOnlySpan<byte> text, Kind kind)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (kind == Kind.Integer)
        {
            if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, inv, out long l)) return l.ToString(inv);
            if (text[0] != '-' && ulong.TryParse(text, System.Globalization.NumberStyles.None, inv, out ulong u)) return u.ToString(inv);
        }
        double d = double.Parse(text, System.Globalization.NumberStyles.Float, inv);
        // Out of range: QEMU would print "inf", which no client reads; the text as sent is kept instead.
        if (!double.IsFinite(d)) return Encoding.ASCII.GetString(text);
        return d.ToString("G17", inv).Replace('E', 'e');
    }

    // parse_object and parse_pair.
    private static void Object(ReadOnlySpan<byte> s, List<Token> tokens, ref int at, Utf8JsonWriter w)
    {
        at++;
        w.WriteStartObject();
        if (at >= tokens.Count) throw new Fault("premature EOI");
        if (tokens[at].Kind == Kind.RCurly)
        {
            at++;
            w.WriteEndObject();
            return;
        }
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            if (at >= tokens.Count) throw new Fault("premature EOI");
            var keyToken = tokens[at];
            string key = keyToken.Kind == Kind.String ? String(s, keyToken) : KeyFault(s, tokens, ref at);
            at++;
            if (at >= tokens.Count) throw new Fault("premature EOI");
            if (tokens[at++].Kind != Kind.Colon) throw new Fault("missing : in object pair");
            w.WritePropertyName(key);
            Value(s, tokens, ref at, w);
            if (!keys.Add(key)) throw new Fault("duplicate key");
            if (at >= tokens.Count) throw new Fault("premature EOI");
            var next = tokens[at++];
            if (next.Kind == Kind.RCurly) break;
            if (next.Kind != Kind.Comma) throw new Fault("expected separator in dict");
        }
        w.WriteEndObject();
    }

    // A key that is not a string: its own fault if it has one (parse_value runs first), else this one.
    private static string KeyFault(ReadOnlySpan<byte> s, List<Token> tokens, ref int at)
    {
        using var scratch = new Utf8JsonWriter(Stream.Null);
        int probe = at;
        Value(s, tokens, ref probe, scratch);
        throw new Fault("key is not a string in object");
    }

    // parse_array.
    private static void Array(ReadOnlySpan<byte> s, List<Token> tokens, ref int at, Utf8JsonWriter w)
    {
        at++;
        w.WriteStartArray();
        if (at >= tokens.Count) throw new Fault("premature EOI");
        if (tokens[at].Kind == Kind.RSquare)
        {
            at++;
            w.WriteEndArray();
            return;
        }
        while (true)
        {
            Value(s, tokens, ref at, w);
            if (at >= tokens.Count) throw new Fault("premature EOI");
            var next = tokens[at++];
            if (next.Kind == Kind.RSquare) break;
            if (next.Kind != Kind.Comma) throw new Fault("expected separator in list");
        }
        w.WriteEndArray();
    }

    // parse_string: escapes (with \' and surrogate pairs) and UTF-8 checked as QEMU checks them.
    private static string String(ReadOnlySpan<byte> s, Token t)
    {
        var body = s.Slice(t.Start + 1, t.Length - 2);
        var sb = new StringBuilder(body.Length);
        int i = 0;
        while (i < body.Length)
        {
            if (body[i] == '\\')
            {
                int begin = i;
                i++;
                char e = (char)body[i++];
                switch (e)
                {
                    case '"' or '\'' or '\\' or '/': sb.Append(e); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        int cp = Hex4(body, i);
                        i += 4;
                        if (cp is >= 0xD800 and <= 0xDBFF && i + 1 < body.Length && body[i] == '\\' && body[i + 1] == 'u')
                        {
                            int trailing = Hex4(body, i + 2);
                            if (trailing is >= 0xDC00 and <= 0xDFFF)
                            {
                                cp = 0x10000 + ((cp & 0x3FF) << 10) | (trailing & 0x3FF);
                                i += 6;
                            }
                            else
                            {
                                cp = -1;
                            }
                        }
                        if (cp != 0 && !ValidCodePoint(cp))
                            throw new Fault($"{Encoding.UTF8.GetString(body[begin..Math.Min(i, body.Length)])} is not a valid Unicode character");
                        sb.Append(char.ConvertFromUtf32(cp));
                        break;
                    default:
                        throw new Fault("invalid escape sequence in string");
                }
                continue;
            }
            // Modified UTF-8: C0 80 is U+0000; otherwise strict UTF-8 of a valid code point.
            if (body[i] == 0xC0 && i + 1 < body.Length && body[i + 1] == 0x80)
            {
                sb.Append('\0');
                i += 2;
                continue;
            }
            if (System.Text.Rune.DecodeFromUtf8(body[i..], out var rune, out int used) != System.Buffers.OperationStatus.Done || !ValidCodePoint(rune.Value))
                throw new Fault("invalid UTF-8 sequence in string");
            sb.Append(rune.ToString());
            i += used;
        }
        return sb.ToString();
    }

    private static int Hex4(ReadOnlySpan<byte> s, int at)
    {
        int cp = 0;
        for (int k = 0; k < 4; k++)
        {
            if (at + k >= s.Length) return -1;
            int d = s[at + k] switch
            {
                >= (byte)'0' and <= (byte)'9' => s[at + k] - '0',
                >= (byte)'a' and <= (byte)'f' => s[at + k] - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => s[at + k] - 'A' + 10,
                _ => -1,
            };
            if (d < 0) return -1;
            cp = cp << 4 | d;
        }
        return cp;
    }

    // util/unicode.c is_valid_codepoint: no surrogates, no noncharacters, nothing above U+10FFFF.
    private static bool ValidCodePoint(int cp) =>
        cp is >= 0 and <= 0x10FFFF && cp is < 0xD800 or > 0xDFFF && (cp & 0xFFFE) != 0xFFFE && cp is < 0xFDD0 or > 0xFDEF;
}
