using System.Globalization;
using System.Text.Json.Nodes;

namespace Qevm.Qmp;

/// <summary>QEMU's version as QMP gives it (greeting and <c>query-version</c>): major, minor, micro and package.</summary>
public sealed record QmpVersion(int Major, int Minor, int Micro, string Package)
{
    /// <summary>Reads <c>{"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": "..."}</c>.</summary>
    /// <exception cref="QmpConnectionException">The object does not have that shape.</exception>
    public static QmpVersion FromJson(JsonNode? node)
    {
        if (node is not JsonObject o || o["qemu"] is not JsonObject q)
            throw new QmpConnectionException($"expected a QMP version object, found {node?.ToJsonString() ?? "nothing"}");
        return new QmpVersion(QmpJson.Int(q, "major"), QmpJson.Int(q, "minor"), QmpJson.Int(q, "micro"), QmpJson.String(o, "package") ?? "");
    }

    /// <summary><c>MAJOR.MINOR.MICRO</c>, followed by the package when there is one.</summary>
    public override string ToString()
    {
        string v = string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Micro}");
        return string.IsNullOrWhiteSpace(Package) ? v : v + " (" + Package.Trim() + ")";
    }
}
