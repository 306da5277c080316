namespace Qevm.Qmp;

/// <summary>Timeouts of a <see cref="QmpClient"/>.</summary>
public sealed record QmpClientOptions
{
    /// <summary>How long connecting, reading the greeting and negotiating may take together (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a command may wait for its reply (default 30 s); <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest message accepted from the server (default 16 MiB; QEMU 7.2's largest reply, <c>query-qmp-schema</c>,
    /// is well under 1 MiB). A longer one closes the connection with <see cref="QmpConnectionException"/>.
    /// </summary>
    public int MaxMessageBytes { get; init; } = 16 << 20;

    /// <summary>How often <see cref="QmpClient.MigrateToFileAsync"/> asks <c>query-migrate</c> (default 100 ms).</summary>
    public TimeSpan MigrationPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
