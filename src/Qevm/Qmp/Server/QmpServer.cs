using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Qevm.Engine;

namespace Qevm.Qmp.Server;

/// <summary>
/// A QMP server over an engine registry, speaking QMP as QEMU 7.2 does: greeting, <c>qmp_capabilities</c>
/// negotiation, commands with <c>id</c> echoed, QMP error classes and QEMU's wording, <c>STOP</c>/<c>RESUME</c>
/// events with timestamps. Each connection runs as its own task with its own bounded output queue and writer task,
/// so a client that stops reading or sends a huge line holds up nobody else; the devices are locked only while
/// their state is copied in or out.
/// </summary>
public sealed class QmpServer
{
    private readonly QmpCommands _commands;
    private readonly ConcurrentDictionary<QmpConnection, byte> _connections = new();
    private int _nextId;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _stop;

    /// <summary>Creates a server hosting <paramref name="registry"/>.</summary>
    public QmpServer(SaveStateRegistry registry, QmpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Options = options ?? new QmpServerOptions();
        _commands = new QmpCommands(registry, Options, Publish);
    }

    /// <summary>The options.</summary>
    public QmpServerOptions Options { get; }

    /// <summary>Whether the (emulated) guest is running: <c>query-status</c>, <c>stop</c>, <c>cont</c>.</summary>
    public bool Running => _commands.Running;

    /// <summary>Completes once the server accepts connections.</summary>
    public Task Listening => _listening.Task;

    /// <summary>
    /// Listens on <paramref name="endPoint"/> (a <see cref="UnixDomainSocketEndPoint"/> or an
    /// <see cref="IPEndPoint"/>) and serves until <c>quit</c> or <paramref name="cancellationToken"/>. A stale unix
    /// socket file is replaced (not a live server's socket, nor another file), and removed at the end. Call it once.
    /// </summary>
    public async Task RunAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _stop = stop;
        string? socketPath = (endPoint as UnixDomainSocketEndPoint)?.ToString();
        using var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        var tasks = new List<Task>();
        bool bound = false;
        try
        {
            if (socketPath is not null && File.Exists(socketPath)) RemoveStaleSocket(endPoint, socketPath);
            listener.Bind(endPoint);
            bound = true;
            listener.Listen(512);
            _listening.TrySetResult();
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptAsync(stop.Token).ConfigureAwait(false);
                var stream = new NetworkStream(socket, ownsSocket: true);
                tasks.Add(Task.Run(() => ServeStreamAsync(stream, stop.Token), CancellationToken.None));
                tasks.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // quit, or the caller cancelled.
        }
        catch (Exception e)
        {
            _listening.TrySetException(e);
            throw;
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            if (bound && socketPath is not null && File.Exists(socketPath)) File.Delete(socketPath);
            _stop = null;
        }
    }

    /// <summary>
    /// Runs one client session over <paramref name="stream"/> (greeting, <c>qmp_capabilities</c> negotiation,
    /// commands, events) until EOF, <c>quit</c>, the client overflowing its output queue, or
    /// <paramref name="cancellationToken"/>. The socket listener serves each connection through it; tests and the
    /// fuzzer drive it without sockets. The stream is disposed at the end.
    /// </summary>
    internal async Task ServeStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var connection = new QmpConnection(stream, this, Interlocked.Increment(ref _nextId), cancellationToken);
        _connections.TryAdd(connection, 0);
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            await connection.DisposeAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal void Log(string line) => Options.Log?.Invoke(line);

    // A socket file left by a server that is gone is replaced; a live server's socket or another file is not.
    private static void RemoveStaleSocket(EndPoint endPoint, string path)
    {
        if (new FileInfo(path).Length > 0) throw new IOException($"{path} exists and is not a socket");
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(endPoint);
            }
            catch (SocketException)
            {
                File.Delete(path);
                return;
            }
        }
        throw new IOException($"another server listens on {path}");
    }

    internal byte[] Greeting() => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("QMP");
        w.WritePropertyName("version");
        _commands.Version(w);
        w.WriteStartArray("capabilities");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    });

    // monitor/qmp.c handle_qmp_command + qapi/qmp-dispatch.c qmp_dispatch. False when the session ends (quit).
    internal async Task<bool> HandleAsync(QmpConnection connection, QmpMessageSplitter.Message message)
    {
        byte[] response;
        bool quit = false;
        if (message.Error is not null)
        {
            response = Error(QmpCommandError.GenericError, message.Error, null);
        }
        else if (QmpJsonParser.Normalize(message.Json, out var syntaxError, out int resume) is { } json)
        {
            (response, quit) = Dispatch(connection, json);
        }
        else
        {
            // json-parser.c's words for the faults it finds.
            await connection.SendAsync(Error(QmpCommandError.GenericError, syntaxError!, null)).ConfigureAwait(false);
            if (resume < 0) return true;
            // After a stray byte QEMU reads on from its resynchronisation point as a new stream: "{"a": @}" is
            // answered twice ("stray '@'", then "expecting value" for the lone "}").
            var rest = new QmpMessageSplitter(Options.MaxMessageBytes);
            var messages = new List<QmpMessageSplitter.Message>();
            rest.Feed(message.Json.AsSpan(resume), messages);
            foreach (var m in messages)
                if (!await HandleAsync(connection, m).ConfigureAwait(false)) return false;
            return true;
        }
        await connection.SendAsync(response).ConfigureAwait(false);
        if (!quit) return true;
        Publish(QmpEvent.Now("SHUTDOWN", static w =>
        {
            w.WriteBoolean("guest", false);
            w.WriteString("reason", "host-qmp-quit");
        }));
        await connection.DrainAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await (_stop?.CancelAsync() ?? Task.CompletedTask).ConfigureAwait(false);
        return false;
    }

    private (byte[] Response, bool Quit) Dispatch(QmpConnection connection, byte[] json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 2048 });
        }
        catch (JsonException e)
        {
            return (Error(QmpCommandError.GenericError, "JSON parse error, " + Short(e.Message), null), false);
        }
        using (document)
        {
            var request = document.RootElement;
            JsonElement? id = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("id", out var i) ? i : null;
            bool quit = false;
            try
            {
                var (name, arguments) = Check(request);
                Action<Utf8JsonWriter> result;
                if (!connection.Negotiated)
                {
                    // Before negotiation only qmp_capabilities exists (qmp_cap_negotiation_commands).
                    if (name != "qmp_capabilities")
                        throw new QmpCommandError(QmpCommandError.CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'");
                    Capabilities(arguments);
                    connection.Negotiated = true;
                    result = QmpCommands.Empty;
                }
                else if (name == "qmp_capabilities")
                {
                    throw new QmpCommandError(QmpCommandError.CommandNotFound, "Capabilities negotiation is already complete, command ignored");
                }
                else if (name == "quit")
                {
                    new QmpArguments(arguments).CheckNoOthers();
                    quit = true;
                    result = QmpCommands.Empty;
                }
                else
                {
                    result = _commands.Execute(name, arguments);
                }
                return (Json(w =>
                {
                    w.WriteStartObject();
                    w.WritePropertyName("return");
                    result(w);
                    if (id is { } v)
                    {
                        w.WritePropertyName("id");
                        v.WriteTo(w);
                    }
                    w.WriteEndObject();
                }), quit);
            }
            catch (QmpCommandError e)
            {
                return (Error(e.ErrorClass, e.Message, id), false);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                // Whatever a command runs into is that command's error; the connection keeps serving.
                return (Error(QmpCommandError.GenericError, e.Message, id), false);
            }
        }
    }

    // qmp_dispatch_check_obj: the members a request may have.
    private static (string Name, JsonElement Arguments) Check(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object) throw QmpCommandError.Generic("QMP input must be a JSON object");
        string? name = null;
        JsonElement arguments = default;
        foreach (var p in request.EnumerateObject())
        {
            switch (p.Name)
            {
                case "execute":
                    if (p.Value.ValueKind != JsonValueKind.String) throw QmpCommandError.Generic("QMP input member 'execute' must be a string");
                    name = p.Value.GetString();
                    break;
                case "arguments":
                    if (p.Value.ValueKind != JsonValueKind.Object) throw QmpCommandError.Generic("QMP input member 'arguments' must be an object");
                    arguments = p.Value;
                    break;
                case "id":
                    break;
                default:
                    throw QmpCommandError.Generic($"QMP input member '{p.Name}' is unexpected");
            }
        }
        if (name is null) throw QmpCommandError.Generic("QMP input lacks member 'execute'");
        return (name, arguments);
    }

    // qmp_qmp_capabilities: "enable" may only list capabilities this server has (none).
    private static void Capabilities(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object) return;
        foreach (var p in arguments.EnumerateObject())
        {
            if (p.Name != "enable") throw QmpCommandError.Generic($"Parameter '{p.Name}' is unexpected");
            if (p.Value.ValueKind != JsonValueKind.Array) throw QmpCommandError.Generic("Invalid parameter type for 'enable', expected: array");
            foreach (var cap in p.Value.EnumerateArray())
            {
                if (cap.ValueKind != JsonValueKind.String) throw QmpCommandError.Generic("Invalid parameter type for 'enable[0]', expected: string");
                var s = cap.GetString();
                throw QmpCommandError.Generic(s == "oob" ? "Capability 'oob' not available" : $"Parameter 'enable[0]' does not accept value '{s}'");
            }
        }
    }

    // Events reach every negotiated client through its queue, without waiting on any of them; the command that
    // caused them queues its reply after them, so its client reads them first (as from QEMU).
    private void Publish(QmpEvent e)
    {
        var bytes = Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("timestamp");
            long us = (e.Time - DateTimeOffset.UnixEpoch).Ticks / 10;
            w.WriteNumber("seconds", us / 1_000_000);
            w.WriteNumber("microseconds", us % 1_000_000);
            w.WriteEndObject();
            w.WriteString("event", e.Name);
            if (e.Data is not null)
            {
                w.WriteStartObject("data");
                e.Data(w);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        });
        foreach (var c in _connections.Keys)
            if (c.Negotiated) c.Post(bytes);
    }

    private static byte[] Error(string errorClass, string description, JsonElement? id) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("class", errorClass);
        w.WriteString("desc", description);
        w.WriteEndObject();
        if (id is { } v)
        {
            w.WritePropertyName("id");
            v.WriteTo(w);
        }
        w.WriteEndObject();
    });

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var ms = new MemoryStream();
        // Quotes as QEMU writes them (', not \u0027).
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) write(w);
        return ms.ToArray();
    }

    // System.Text.Json's message without its position suffix.
    private static string Short(string message)
    {
        foreach (var cut in (string[])[" Path:", " LineNumber:"])
        {
            int i = message.IndexOf(cut, StringComparison.Ordinal);
            if (i > 0) message = message[..i];
        }
        return message.TrimEnd();
    }
}
