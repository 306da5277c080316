using System.Text.Json.Nodes;

namespace Qevm.Qmp;

/// <summary>An asynchronous QMP event such as <c>STOP</c>, <c>RESUME</c> or <c>MIGRATION</c>.</summary>
/// <param name="Name">The event name, e.g. <c>MIGRATION</c>.</param>
/// <param name="Data">Its <c>data</c> member, when it has one (for <c>MIGRATION</c>: <c>{"status": "active"}</c>).</param>
/// <param name="Timestamp">When QEMU emitted it (its <c>timestamp</c> member); null when absent.</param>
public sealed record QmpEvent(string Name, JsonObject? Data, DateTimeOffset? Timestamp)
{
    internal static QmpEvent FromJson(JsonObject message)
    {
        DateTimeOffset? time = null;
        if (message["timestamp"] is JsonObject t)
        {
            long seconds = QmpJson.Long(t, "seconds");
            long micro = QmpJson.Long(t, "microseconds");
            // QEMU sends -1/-1 when the clock could not be read.
            if (seconds >= 0 && micro >= 0) time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micro * 10);
        }
        return new QmpEvent(QmpJson.String(message, "event") ?? "", message["data"] as JsonObject, time);
    }
}
