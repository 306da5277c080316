using System.Text.Json;

namespace Qevm.Schema;

/// <summary>
/// Builds <see cref="VmStateDescription"/>s from a JSON trailer's device entries (§13.3–13.7): fields with
/// <c>array_len</c> / <c>index</c>, nested <c>struct</c> objects, inline <c>tmp</c>/<c>vstruct</c> keys,
/// subsections, old-style entries, and the 10.0 first-run correction of pointer arrays.
/// </summary>
public static class TrailerSchema
{
    private const int MaxDepth = 64;

    /// <summary>The description of one device entry, or null when the entry is not an object QEMU writes.</summary>
    public static VmStateDescription? FromDevice(JsonElement entry)
    {
        try
        {
            if (entry.ValueKind != JsonValueKind.Object) return null;
            if (!entry.TryGetProperty("vmsd_name", out _))
            {
                // Old-style section: {"name", "instance_id", "size", "fields": [{"name": "data", "size", "type": "buffer"}]}.
                var name = entry.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
                return new VmStateDescription(name, 0, ReadFields(entry, 0)) { IsOldStyle = true };
            }
            return ReadVmsd(entry, 0);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static VmStateDescription ReadVmsd(JsonElement o, int depth)
    {
        if (depth > MaxDepth) throw new InvalidOperationException("description nested too deep");
        var name = o.GetProperty("vmsd_name").GetString() ?? "";
        int version = o.TryGetProperty("version", out var v) ? v.GetInt32() : 0;
        var subs = new List<VmStateDescription>();
        if (o.TryGetProperty("subsections", out var s) && s.ValueKind == JsonValueKind.Array)
            foreach (var sub in s.EnumerateArray()) subs.Add(ReadVmsd(sub, depth + 1));
        return new VmStateDescription(name, version, ReadFields(o, depth), subs);
    }

    private static List<VmStateField> ReadFields(JsonElement o, int depth)
    {
        var objects = new List<JsonElement>();
        if (o.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Array)
            foreach (var f in fields.EnumerateArray()) objects.Add(f);
        var counts = RunCounts(objects);
        var result = new List<VmStateField>(objects.Count);
        for (int i = 0; i < objects.Count; i++)
        {
            var f = objects[i];
            string type = f.TryGetProperty("type", out var t) ? t.GetString() ?? "unknown" : "unknown";
            int size = f.TryGetProperty("size", out var sz) ? sz.GetInt32() : 0;
            VmStateDescription? nested = null;
            if (type == "struct" && f.TryGetProperty("struct", out var st) && st.TryGetProperty("fields", out _))
                nested = ReadVmsd(st, depth + 1);
            else if (type is "tmp" or "vstruct" && f.TryGetProperty("vmsd_name", out _))
                nested = ReadVmsd(f, depth + 1);
            // A count no array can have (a negative array_len, or more than an int) makes the description unusable, as other bad values do.
            if (counts[i] is < 0 or > int.MaxValue) throw new FormatException("array_len out of range");
            result.Add(new VmStateField(f.GetProperty("name").GetString() ?? "", type, size, (int)counts[i])
            {
                IsArray = f.TryGetProperty("array_len", out _) || f.TryGetProperty("index", out _),
                Struct = nested,
            });
        }
        return result;
    }


    /// <summary>
    /// Element counts of consecutive field objects. §13.7 (10.0): when a pointer array's element 0 is not NULL,
    /// the first object of the group of same-named objects carries the whole array's <c>array_len</c>.
    /// </summary>
    internal static long[] RunCounts(List<JsonElement> fields)
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
            bool hasNullptr = false;
            for (int k = g; k < e; k++) hasNullptr |= TypeOf(fields[k]) == "nullptr";
            if (e - g > 1 && hasNullptr && TypeOf(fields[g]) != "nullptr" && fields[g].TryGetProperty("array_len", out _))
            {
                long rest = 0;
                for (int k = g + 1; k < e; k++) rest += counts[k];
                counts[g] = Math.Max(0, counts[g] - rest);
            }
            g = e;
        }
        return counts;
    }

    private static string? NameOf(JsonElement f) => f.TryGetProperty("name", out var n) ? n.GetString() : null;

    private static string? TypeOf(JsonElement f) => f.TryGetProperty("type", out var t) ? t.GetString() : null;
}
