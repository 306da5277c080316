using System.Buffers.Binary;
using System.Text.Json;

namespace Qevm;

/// <summary>
/// Length of a FULL section's data from its trailer entry (§13.11): fields by size, structs recursively,
/// nullptr markers, capability strings, subsections by their 0x05 headers. A struct described as <c>{}</c>
/// (7.2's NULL first element, §13.7) counts its <c>size</c> per element.
/// </summary>
internal static class DescriptionWalker
{
    private const int MaxDepth = 64;

    /// <summary>Walks <paramref name="entry"/> over bytes obtained from <paramref name="peek"/>; null when the walk fails.</summary>
    public static long? TryMeasure(JsonElement entry, Func<long, int, byte[]?> peek)
    {
        try
        {
            if (!entry.TryGetProperty("vmsd_name", out _))
                return entry.TryGetProperty("size", out var size) && size.TryGetInt64(out var s) ? s : null;
            long pos = 0;
            return Walk(entry, peek, ref pos, 0) ? pos : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    private static bool Walk(JsonElement vmsd, Func<long, int, byte[]?> peek, ref long pos, int depth)
    {
        if (depth > MaxDepth) return false;
        if (vmsd.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Array)
        {
            var list = new List<JsonElement>();
            foreach (var f in fields.EnumerateArray()) list.Add(f);
            var counts = RunCounts(list);
            for (int i = 0; i < list.Count; i++)
            {
                var f = list[i];
                string type = f.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
                long size = f.TryGetProperty("size", out var sz) ? sz.GetInt64() : 0;
                for (long k = 0; k < counts[i]; k++)
                {
                    switch (type)
                    {
                        case "struct":
                            if (f.TryGetProperty("struct", out var st) && st.TryGetProperty("fields", out _))
                            {
                                if (!Walk(st, peek, ref pos, depth + 1)) return false;
                            }
                            else pos += size;
                            break;
                        case "nullptr":
                            if (peek(pos, 1) is not [0x30]) return false;
                            pos += 1;
                            break;
                        case "capability":
                            if (peek(pos, 1) is not [var len]) return false;
                            pos += 1 + len;
                            break;
                        default:
                            pos += size;
                            break;
                    }
                }
            }
        }
        if (vmsd.TryGetProperty("subsections", out var subs) && subs.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in subs.EnumerateArray())
            {
                var name = System.Text.Encoding.UTF8.GetBytes(s.GetProperty("vmsd_name").GetString() ?? "");
                var head = peek(pos, 2 + name.Length + 4);
                if (head is null || head[0] != 0x05 || head[1] != name.Length || !head.AsSpan(2, name.Length).SequenceEqual(name))
                    return false;
                if (BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(2 + name.Length)) != s.GetProperty("version").GetUInt32())
                    return false;
                pos += head.Length;
                if (!Walk(s, peek, ref pos, depth + 1)) return false;
            }
        }
        return true;
    }

    // §13.7 (10.0): the first object of a run group of equal names gets the whole array's array_len when
    // element 0 is not NULL; subtract the later runs.
    private static long[] RunCounts(List<JsonElement> fields)
    {
        var counts = new long[fields.Count];
        for (int i = 0; i < fields.Count; i++)
            counts[i] = fields[i].TryGetProperty("array_len", out var a) ? a.GetInt64() : 1;
        int g = 0;
        while (g < fields.Count)
        {
            string? name = NameOf(fields[g]);
            int e = g + 1;
            while (e < fields.Count && NameOf(fields[e]) == name) e++;
            if (e - g > 1 && TypeOf(fields[g]) != "nullptr" && fields[g].TryGetProperty("array_len", out _)
                && HasNullptr(fields, g, e))
            {
                long rest = 0;
                for (int k = g + 1; k < e; k++) rest += counts[k];
                counts[g] = Math.Max(0, counts[g] - rest);
            }
            g = e;
        }
        return counts;
    }

    private static bool HasNullptr(List<JsonElement> fields, int from, int to)
    {
        for (int k = from; k < to; k++)
            if (TypeOf(fields[k]) == "nullptr") return true;
        return false;
    }

    private static string? NameOf(JsonElement f) => f.TryGetProperty("name", out var n) ? n.GetString() : null;

    private static string? TypeOf(JsonElement f) => f.TryGetProperty("type", out var t) ? t.GetString() : null;
}
