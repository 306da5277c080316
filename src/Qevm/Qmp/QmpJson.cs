using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qevm.Qmp;

/// <summary>Tolerant reads of QMP reply members (absent or mistyped members read as defaults).</summary>
internal static class QmpJson
{
    public static string? String(JsonObject? o, string name) =>
        o?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long Long(JsonObject? o, string name) => LongOrNull(o, name) ?? 0;

    public static long? LongOrNull(JsonObject? o, string name) =>
        o?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long l) ? l
        : o?[name] is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue(out double x) ? (long)x
        : null;

    public static int Int(JsonObject? o, string name) => (int)Long(o, name);

    public static bool Bool(JsonObject? o, string name) =>
        o?[name] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False && v.GetValue<bool>();
}
