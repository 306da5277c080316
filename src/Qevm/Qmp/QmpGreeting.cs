using System.Text.Json.Nodes;

namespace Qevm.Qmp;

/// <summary>The first message a QMP server sends: <c>{"QMP": {"version": ..., "capabilities": [...]}}</c>.</summary>
/// <param name="Version">The server's QEMU version.</param>
/// <param name="Capabilities">The capabilities it offers (QEMU 7.2: <c>oob</c>).</param>
public sealed record QmpGreeting(QmpVersion Version, IReadOnlyList<string> Capabilities)
{
    /// <summary>Reads a greeting message.</summary>
    /// <exception cref="QmpConnectionException">The message is not a QMP greeting.</exception>
    public static QmpGreeting FromJson(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message["QMP"] is not JsonObject qmp)
            throw new QmpConnectionException($"expected the QMP greeting {{\"QMP\": ...}}, found {message.ToJsonString()}");
        var caps = new List<string>();
        if (qmp["capabilities"] is JsonArray a)
            foreach (var c in a)
                if (c is JsonValue v && v.TryGetValue(out string? s)) caps.Add(s);
        return new QmpGreeting(QmpVersion.FromJson(qmp["version"]), caps);
    }
}
