using System.Text.Json;

namespace Qevm.Qmp.Server;

/// <summary>An asynchronous event (<c>STOP</c>, <c>RESUME</c>, <c>SHUTDOWN</c>) with the time it happened.</summary>
internal sealed record QmpEvent(string Name, DateTimeOffset Time, Action<Utf8JsonWriter>? Data = null)
{
    public static QmpEvent Now(string name, Action<Utf8JsonWriter>? data = null) => new(name, DateTimeOffset.UtcNow, data);
}
