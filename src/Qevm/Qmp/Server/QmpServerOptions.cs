using Qevm.Engine;

namespace Qevm.Qmp.Server;

/// <summary>How <see cref="QmpServer"/> presents itself and treats its devices.</summary>
public sealed record QmpServerOptions
{
    /// <summary>The QEMU version the greeting and <c>query-version</c> report (the format written is 7.2's).</summary>
    public (int Major, int Minor, int Micro) QemuVersion { get; init; } = (7, 2, 0);

    /// <summary>The <c>package</c> string of the greeting and <c>query-version</c>.</summary>
    public string Package { get; init; } = "qevm";

    /// <summary>Start paused, as QEMU with <c>-S</c>; otherwise running.</summary>
    public bool StartPaused { get; init; }

    /// <summary>How <c>xen-save-devices-state</c> writes (footers on, no trailer: as QEMU).</summary>
    public SaveOptions Save { get; init; } = new();

    /// <summary>How <c>xen-load-devices-state</c> reads (the loader's settings).</summary>
    public LoadOptions Load { get; init; } = new();

    /// <summary>Largest message accepted, in bytes (QEMU's <c>MAX_TOKEN_SIZE</c> is 64 MiB).</summary>
    public int MaxMessageBytes { get; init; } = 64 << 20;

    /// <summary>
    /// Messages (replies and events) queued for one client before it counts as not reading: a reply then waits for
    /// room, an event disconnects that client (QEMU's monitors likewise queue their output per client).
    /// </summary>
    public int OutputQueueLength { get; init; } = 1024;

    /// <summary>
    /// When set, the files of <c>xen-save-devices-state</c> and <c>xen-load-devices-state</c> are resolved in this
    /// folder and may not leave it (a name that does is refused as QEMU refuses a file it may not open); null: any path.
    /// </summary>
    public string? FileDirectory { get; init; }

    /// <summary>Where the server reports what happens to clients (e.g. one disconnected for not reading); null: nowhere.</summary>
    public Action<string>? Log { get; init; }
}
