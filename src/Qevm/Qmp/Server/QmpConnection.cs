using System.Threading.Channels;

namespace Qevm.Qmp.Server;

/// <summary>
/// One client over a duplex stream: greeting, then messages in, replies and events out until it disconnects. Output
/// goes through a bounded queue drained by this connection's own writer task, so a client that stops reading stalls
/// only itself: replies wait for room (the client's own commands are paced by its reading), events are offered
/// without waiting and a full queue closes the connection (QEMU queues each monitor's output likewise).
/// </summary>
internal sealed class QmpConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly QmpServer _server;
    private readonly Channel<byte[]> _output;
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _closed;
    private Task? _writer;
    private int _overflowed;
    private volatile bool _ending;

    public QmpConnection(Stream stream, QmpServer server, int id, CancellationToken serverStopping)
    {
        _stream = stream;
        _server = server;
        Id = id;
        _output = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(server.Options.OutputQueueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _closed = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, _abort.Token);
    }

    /// <summary>The number in the server's log lines.</summary>
    public int Id { get; }

    /// <summary>The client sent <c>qmp_capabilities</c>: commands are allowed and events are sent.</summary>
    public volatile bool Negotiated;

    /// <summary>Cancelled when this connection ends: EOF, an error, overflow or the server stopping.</summary>
    public CancellationToken Closed => _closed.Token;

    public async Task RunAsync()
    {
        var ct = _closed.Token;
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        try
        {
            await SendAsync(_server.Greeting()).ConfigureAwait(false);
            var splitter = new QmpMessageSplitter(_server.Options.MaxMessageBytes);
            var buffer = new byte[1 << 16];
            var messages = new List<QmpMessageSplitter.Message>();
            while (!ct.IsCancellationRequested)
            {
                int n = await _stream.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0) return;
                messages.Clear();
                splitter.Feed(buffer.AsSpan(0, n), messages);
                foreach (var m in messages)
                {
                    if (!await _server.HandleAsync(this, m).ConfigureAwait(false)) return;
                    if (ct.IsCancellationRequested) return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or ChannelClosedException
                                      or System.Net.Sockets.SocketException)
        {
            // The client went away, overflowed, or the server is stopping.
        }
    }

    /// <summary>Queues a reply: waits while the queue is full (only this client's reading is held up).</summary>
    public async ValueTask SendAsync(byte[] json) => await _output.Writer.WriteAsync(json, _closed.Token).ConfigureAwait(false);

    /// <summary>Offers an event without waiting; a full queue means the client stopped reading and ends it.</summary>
    public void Post(byte[] json)
    {
        // A queue closed because the session ends (quit, EOF) is not a client that stopped reading.
        if (_output.Writer.TryWrite(json) || _ending || _closed.IsCancellationRequested) return;
        if (Interlocked.Exchange(ref _overflowed, 1) != 0) return;
        _server.Log($"client {Id} disconnected: it stopped reading (output queue of {_server.Options.OutputQueueLength} messages full)");
        Abort();
    }

    /// <summary>Lets the queued output reach the client (bounded by <paramref name="timeout"/>), then stops writing.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        _ending = true;
        _output.Writer.TryComplete();
        if (_writer is null) return;
        await Task.WhenAny(_writer, Task.Delay(timeout, CancellationToken.None)).ConfigureAwait(false);
    }

    // Ends the connection now: a write blocked on a client that does not read is released by closing the stream.
    private void Abort()
    {
        _ending = true;
        _output.Writer.TryComplete();
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _stream.Dispose();
    }

    // Not stopped by the server stopping, so a reply to quit and the SHUTDOWN event still go out (DisposeAsync bounds it).
    private async Task WriteLoopAsync()
    {
        var ct = _abort.Token;
        try
        {
            // QEMU ends every message with CR LF (monitor_puts).
            byte[] crlf = "\r\n"u8.ToArray();
            while (await _output.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (_output.Reader.TryRead(out var json))
                {
                    await _stream.WriteAsync(json, ct).ConfigureAwait(false);
                    await _stream.WriteAsync(crlf, ct).ConfigureAwait(false);
                }
                await _stream.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // The client is gone: end the reading side too.
            Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DrainAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        Abort();
        if (_writer is not null) await _writer.ConfigureAwait(false);
        _closed.Dispose();
        _abort.Dispose();
    }
}
