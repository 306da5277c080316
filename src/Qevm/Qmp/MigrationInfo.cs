using System.Text.Json.Nodes;

namespace Qevm.Qmp;

/// <summary>
/// The reply to <c>query-migrate</c> on the sending side: the status and QEMU's figures (times in milliseconds as
/// QEMU gives them). Figures QEMU did not send are null.
/// </summary>
/// <param name="Status">QEMU's migration status: <c>none</c> (no migration yet), <c>setup</c>, <c>active</c>,
/// <c>device</c>, <c>completed</c>, <c>failed</c>, <c>cancelled</c>, ...</param>
/// <param name="TotalTimeMs">Time from start to end (or so far), <c>total-time</c>.</param>
/// <param name="DowntimeMs">Time the guest was stopped for the final stage, <c>downtime</c> (when completed).</param>
/// <param name="SetupTimeMs">Time spent setting up, <c>setup-time</c>.</param>
/// <param name="ExpectedDowntimeMs">QEMU's estimate while active, <c>expected-downtime</c>.</param>
/// <param name="ErrorDescription">Why it failed, <c>error-desc</c>.</param>
/// <param name="Ram">The RAM figures, <c>ram</c>; null before RAM migration starts.</param>
/// <param name="Raw">The whole reply, for figures not modelled here.</param>
public sealed record MigrationInfo(
    string Status,
    long? TotalTimeMs,
    long? DowntimeMs,
    long? SetupTimeMs,
    long? ExpectedDowntimeMs,
    string? ErrorDescription,
    MigrationRamInfo? Ram,
    JsonObject Raw)
{
    /// <summary>Whether the status is final: <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</summary>
    public bool IsFinished => Status is "completed" or "failed" or "cancelled";

    /// <summary>Reads a <c>query-migrate</c> reply (an empty object means no migration: status <c>none</c>).</summary>
    public static MigrationInfo FromJson(JsonNode? node)
    {
        var o = node as JsonObject ?? [];
        return new MigrationInfo(
            QmpJson.String(o, "status") ?? "none",
            QmpJson.LongOrNull(o, "total-time"),
            QmpJson.LongOrNull(o, "downtime"),
            QmpJson.LongOrNull(o, "setup-time"),
            QmpJson.LongOrNull(o, "expected-downtime"),
            QmpJson.String(o, "error-desc"),
            o["ram"] is JsonObject ram ? MigrationRamInfo.FromJson(ram) : null,
            o);
    }
}
