using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qevm.Qmp;

/// <summary>The <c>ram</c> figures of <c>query-migrate</c> (bytes and page counts as QEMU counts them).</summary>
/// <param name="Transferred">Bytes sent so far (<c>transferred</c>).</param>
/// <param name="Total">Guest RAM size in bytes (<c>total</c>).</param>
/// <param name="Remaining">Bytes still dirty (<c>remaining</c>).</param>
/// <param name="Duplicate">Pages sent as one repeated byte, i.e. zero pages (<c>duplicate</c>).</param>
/// <param name="Normal">Pages sent in full (<c>normal</c>).</param>
/// <param name="NormalBytes">Bytes of those pages (<c>normal-bytes</c>).</param>
/// <param name="PageSize">The target page size (<c>page-size</c>).</param>
/// <param name="DirtySyncCount">Dirty-bitmap synchronisations, i.e. passes over RAM (<c>dirty-sync-count</c>).</param>
/// <param name="Mbps">Throughput in megabits per second (<c>mbps</c>).</param>
public sealed record MigrationRamInfo(
    long Transferred,
    long Total,
    long Remaining,
    long Duplicate,
    long Normal,
    long NormalBytes,
    long PageSize,
    long DirtySyncCount,
    double Mbps)
{
    internal static MigrationRamInfo FromJson(JsonObject o) => new(
        QmpJson.Long(o, "transferred"),
        QmpJson.Long(o, "total"),
        QmpJson.Long(o, "remaining"),
        QmpJson.Long(o, "duplicate"),
        QmpJson.Long(o, "normal"),
        QmpJson.Long(o, "normal-bytes"),
        QmpJson.Long(o, "page-size"),
        QmpJson.Long(o, "dirty-sync-count"),
        o["mbps"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : 0);
}
