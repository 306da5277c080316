using System.Threading.Channels;

namespace Qevm.Qmp;

/// <summary>
/// The events a <see cref="QmpClient"/> received since <see cref="QmpClient.Subscribe"/>, in order, buffered until
/// read. Ends when the connection closes or the subscription is disposed.
/// </summary>
public sealed class QmpEventSubscription : IDisposable
{
    private readonly Action _unsubscribe;
    private int _disposed;

    internal QmpEventSubscription(ChannelReader<QmpEvent> reader, Action unsubscribe)
    {
        Reader = reader;
        _unsubscribe = unsubscribe;
    }

    /// <summary>The buffered events.</summary>
    public ChannelReader<QmpEvent> Reader { get; }

    /// <summary>Every event until the subscription ends.</summary>
    public IAsyncEnumerable<QmpEvent> ReadAllAsync(CancellationToken cancellationToken = default) => Reader.ReadAllAsync(cancellationToken);

    /// <summary>Waits for the next event named <paramref name="name"/> that satisfies <paramref name="predicate"/>, skipping others.</summary>
    /// <exception cref="QmpConnectionException">The subscription ended first (the connection closed).</exception>
    public async Task<QmpEvent> WaitForAsync(string name, Func<QmpEvent, bool>? predicate = null, CancellationToken cancellationToken = default)
    {
        await foreach (var e in Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            if (e.Name == name && (predicate is null || predicate(e)))
                return e;
        throw new QmpConnectionException($"the QMP connection closed before the event {name}");
    }

    /// <summary>Stops receiving events.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _unsubscribe();
    }
}
