using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Qevm.Qmp;

/// <summary>
/// An asynchronous QMP client (QEMU Machine Protocol) over a unix socket or TCP. <see cref="ConnectAsync(QmpEndpoint, QmpClientOptions?, CancellationToken)"/>
/// reads the greeting and negotiates capabilities; <see cref="ExecuteAsync"/> sends a command with an id and
/// returns the reply with that id, so several commands may be in flight at once; asynchronous events go to
/// <see cref="EventReceived"/> and to every <see cref="Subscribe"/>r.
/// </summary>
/// <remarks>
/// Error replies throw <see cref="QmpException"/>; a reply not received within
/// <see cref="QmpClientOptions.CommandTimeout"/> throws <see cref="TimeoutException"/>; a closed or broken connection
/// throws <see cref="QmpConnectionException"/>; a cancelled token throws <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed partial class QmpClient : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private byte[] _buffer = new byte[64 * 1024]; // received bytes; [_start, _end) not yet read as messages
    private int _start;
    private int _end;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Pending> _pending = [];
    private readonly List<Channel<QmpEvent>> _subscribers = [];
    private readonly CancellationTokenSource _closing = new();
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;
    private QmpConnectionException? _closed;
    private bool _disposed;

    private sealed record Pending(string Command, TaskCompletionSource<JsonObject> Reply);

    private QmpClient(QmpEndpoint endpoint, QmpClientOptions options, Socket socket)
    {
        Endpoint = endpoint;
        Options = options;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Where this client is connected.</summary>
    public QmpEndpoint Endpoint { get; }

    /// <summary>The timeouts in use.</summary>
    public QmpClientOptions Options { get; }

    /// <summary>The server's greeting: its QEMU version and the capabilities it offered.</summary>
    public QmpGreeting Greeting { get; private set; } = null!;

    /// <summary>Whether the connection is still open.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_lock) return _closed is null;
        }
    }

    /// <summary>
    /// Raised for every asynchronous event, on the thread that reads the connection: handlers must be quick and must
    /// not wait for command replies (use <see cref="Subscribe"/> for that). A handler that throws closes the connection.
    /// </summary>
    public event EventHandler<QmpEvent>? EventReceived;

    /// <summary>Connects to <paramref name="endpoint"/> (see <see cref="QmpEndpoint.Parse"/>), reads the greeting and negotiates.</summary>
    /// <exception cref="QmpConnectionException">The connection failed or the peer does not speak QMP.</exception>
    /// <exception cref="TimeoutException">Not ready within <see cref="QmpClientOptions.ConnectTimeout"/>.</exception>
    public static Task<QmpClient> ConnectAsync(string endpoint, QmpClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(QmpEndpoint.Parse(endpoint), options, cancellationToken);

    /// <summary>Connects, reads the greeting and sends <c>qmp_capabilities</c> (no optional capabilities enabled).</summary>
    /// <exception cref="QmpConnectionException">The connection failed or the peer does not speak QMP.</exception>
    /// <exception cref="TimeoutException">Not ready within <see cref="QmpClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="QmpException">The server refused the negotiation.</exception>
    public static async Task<QmpClient> ConnectAsync(QmpEndpoint endpoint, QmpClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= new QmpClientOptions();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.ConnectTimeout != Timeout.InfiniteTimeSpan) limit.CancelAfter(options.ConnectTimeout);
        Socket socket;
        try
        {
            socket = await endpoint.ConnectAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"cannot connect to QMP at {endpoint}: no connection within {Seconds(options.ConnectTimeout)} s");
        }
        catch (SocketException e)
        {
            throw new QmpConnectionException($"cannot connect to QMP at {endpoint}: {e.Message}", e);
        }
        var client = new QmpClient(endpoint, options, socket);
        try
        {
            string what = "QMP greeting";
            try
            {
                var greeting = await client.ReadMessageAsync(limit.Token).ConfigureAwait(false)
                    ?? throw new QmpConnectionException($"QMP connection to {endpoint} closed before the greeting");
                client.Greeting = QmpGreeting.FromJson(greeting);
                client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
                what = "reply to qmp_capabilities";
                await client.ExecuteAsync("qmp_capabilities", null, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"QMP at {endpoint}: no {what} within {Seconds(options.ConnectTimeout)} s");
            }
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/> (an object, or null for none) and returns the
    /// reply's <c>return</c> value (for most commands an empty object).
    /// </summary>
    /// <exception cref="QmpException">QEMU answered with an error (class and description).</exception>
    /// <exception cref="TimeoutException">No reply within <see cref="QmpClientOptions.CommandTimeout"/>.</exception>
    /// <exception cref="QmpConnectionException">The connection is or became closed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ObjectDisposedException.ThrowIf(_disposed, this);
        long id = Interlocked.Increment(ref _nextId);
        var pending = new Pending(command, new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            if (_closed is not null) throw new QmpConnectionException($"cannot run '{command}': {_closed.Message}", _closed);
            _pending.Add(id, pending);
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (Options.CommandTimeout != Timeout.InfiniteTimeSpan) limit.CancelAfter(Options.CommandTimeout);
        try
        {
            await SendAsync(Serialize(command, arguments, id), command, limit.Token).ConfigureAwait(false);
            var reply = await pending.Reply.Task.WaitAsync(limit.Token).ConfigureAwait(false);
            if (reply["error"] is JsonObject error)
                throw new QmpException(command, QmpJson.String(error, "class") ?? "GenericError", QmpJson.String(error, "desc") ?? "");
            var result = reply["return"];
            reply.Remove("return"); // detach, so the caller owns the node
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && limit.IsCancellationRequested)
        {
            throw new TimeoutException($"QMP at {Endpoint}: no reply to '{command}' within {Seconds(Options.CommandTimeout)} s");
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested && e.CancellationToken != cancellationToken)
        {
            throw new OperationCanceledException($"'{command}' was cancelled", e, cancellationToken);
        }
        finally
        {
            lock (_lock) _pending.Remove(id);
        }
    }

    /// <summary>
    /// Starts receiving events from now on (so none is missed between a command and the wait for its event). Dispose
    /// the subscription to stop; it ends when the connection closes.
    /// </summary>
    public QmpEventSubscription Subscribe()
    {
        var channel = Channel.CreateUnbounded<QmpEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        lock (_lock)
        {
            if (_closed is null) _subscribers.Add(channel);
            else channel.Writer.TryComplete();
        }
        return new QmpEventSubscription(channel.Reader, () =>
        {
            lock (_lock) _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        });
    }

    /// <summary>The events received from the first iteration on, until the connection closes or the token is cancelled.</summary>
    public async IAsyncEnumerable<QmpEvent> ReadEventsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var subscription = Subscribe();
        await foreach (var e in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return e;
    }

    /// <summary>Closes the connection; commands still waiting fail with <see cref="QmpConnectionException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Close(new QmpConnectionException($"QMP connection to {Endpoint} closed by this client"));
        await _closing.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop was stopped by the cancellation above.
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
        _writeLock.Dispose();
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static byte[] Serialize(string command, JsonObject? arguments, long id)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("execute", command);
            if (arguments is not null)
            {
                w.WritePropertyName("arguments");
                arguments.WriteTo(w);
            }
            w.WriteNumber("id", id);
            w.WriteEndObject();
        }
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    private async Task SendAsync(byte[] message, string command, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            var closed = new QmpConnectionException($"QMP at {Endpoint}: cannot send '{command}': {e.Message}", e);
            Close(closed);
            throw closed;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // One message per line (QEMU ends each with "\r\n"); at most MaxMessageBytes, so a peer cannot exhaust memory.
    private async Task<JsonObject?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, newline);
                _start += newline + 1;
                var text = line.Span.Trim(" \t\r"u8);
                if (text.IsEmpty) continue;
                try
                {
                    if (JsonNode.Parse(text) is JsonObject o) return o;
                }
                catch (JsonException)
                {
                    // reported below
                }
                throw new QmpConnectionException($"QMP at {Endpoint} sent a line that is not a JSON object: {Shorten(text)}");
            }
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= Options.MaxMessageBytes)
                    throw new QmpConnectionException(string.Create(CultureInfo.InvariantCulture, $"QMP at {Endpoint} sent a message longer than {Options.MaxMessageBytes} bytes"));
                Array.Resize(ref _buffer, (int)Math.Min(_buffer.Length * 2L, Options.MaxMessageBytes));
            }
            int n;
            try
            {
                n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                throw new QmpConnectionException($"QMP at {Endpoint}: reading failed: {e.Message}", e);
            }
            if (n == 0) return null; // closed (an unterminated last line is no message)
            _end += n;
        }
    }

    private async Task ReadLoopAsync()
    {
        QmpConnectionException reason;
        try
        {
            while (true)
            {
                var message = await ReadMessageAsync(_closing.Token).ConfigureAwait(false);
                if (message is null)
                {
                    reason = new QmpConnectionException($"QMP connection to {Endpoint} closed by the server");
                    break;
                }
                Dispatch(message);
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (QmpConnectionException e)
        {
            reason = e;
        }
        catch (ObjectDisposedException) when (_disposed)
        {
            return;
        }
#pragma warning disable CA1031 // any failure of the loop (e.g. an event handler that throws) closes the connection
        catch (Exception e)
#pragma warning restore CA1031
        {
            reason = new QmpConnectionException($"QMP connection to {Endpoint} closed: {e.Message}", e);
        }
        Close(reason);
    }

    private void Dispatch(JsonObject message)
    {
        if (message.ContainsKey("event"))
        {
            var e = QmpEvent.FromJson(message);
            lock (_lock)
                foreach (var s in _subscribers) s.Writer.TryWrite(e);
            EventReceived?.Invoke(this, e);
            return;
        }
        if (!message.ContainsKey("return") && !message.ContainsKey("error")) return; // not a reply: ignore as QMP allows
        Pending? pending = null;
        lock (_lock)
        {
            if (message["id"] is JsonValue idValue && idValue.GetValueKind() == JsonValueKind.Number && idValue.TryGetValue(out long id))
                _pending.TryGetValue(id, out pending);
            else if (!message.ContainsKey("id") && _pending.Count == 1)
                pending = _pending.Values.First(); // QEMU cannot echo the id of a request it could not parse
        }
        pending?.Reply.TrySetResult(message);
    }

    private void Close(QmpConnectionException reason)
    {
        List<Pending> pending;
        List<Channel<QmpEvent>> subscribers;
        lock (_lock)
        {
            if (_closed is not null) return;
            _closed = reason;
            pending = [.. _pending.Values];
            subscribers = [.. _subscribers];
            _subscribers.Clear();
        }
        foreach (var p in pending)
            p.Reply.TrySetException(new QmpConnectionException($"{reason.Message.TrimEnd('.')} (while waiting for the reply to '{p.Command}')", reason));
        foreach (var s in subscribers) s.Writer.TryComplete();
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Shorten(ReadOnlySpan<byte> line) =>
        line.Length <= 200 ? Encoding.UTF8.GetString(line) : Encoding.UTF8.GetString(line[..200]) + "...";
}
