using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Qevm.Tests.Qmp;

/// <summary>
/// A scripted QMP server for one connection, on a unix socket in a temp folder or on TCP loopback: the test's
/// script sends JSON lines and reads the client's commands.
/// </summary>
internal sealed class FakeQmpPeer : IAsyncDisposable
{
    public const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}""";

    private readonly Socket _listener;
    private readonly string? _dir;
    private readonly Task _run;

    private FakeQmpPeer(Socket listener, string? dir, string endpoint, Func<Peer, Task> script)
    {
        _listener = listener;
        _dir = dir;
        Endpoint = endpoint;
        _run = Task.Run(async () =>
        {
            using var s = await _listener.AcceptAsync();
            await using var peer = new Peer(s);
            await script(peer);
        });
    }

    /// <summary>The endpoint text for <c>QmpEndpoint.Parse</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The script's outcome (its exceptions), once the script ends.</summary>
    public Task Completion => _run;

    public static FakeQmpPeer Unix(Func<Peer, Task> script)
    {
        var dir = Directory.CreateTempSubdirectory("qevm-fakeqmp-").FullName;
        var path = Path.Combine(dir, "qmp.sock");
        var l = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        l.Bind(new UnixDomainSocketEndPoint(path));
        l.Listen(1);
        return new FakeQmpPeer(l, dir, path, script);
    }

    public static FakeQmpPeer Tcp(Func<Peer, Task> script)
    {
        var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        l.Listen(1);
        return new FakeQmpPeer(l, null, "tcp:127.0.0.1:" + ((IPEndPoint)l.LocalEndPoint!).Port, script);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException or TimeoutException)
        {
            // The script ends when the client goes; only assertions inside it matter, through Completion.
        }
        if (_dir is not null) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One accepted connection.</summary>
    internal sealed class Peer(Socket socket) : IAsyncDisposable
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: false);
        private readonly StreamReader _reader = new(new NetworkStream(socket, ownsSocket: false), new UTF8Encoding(false));

        public async Task SendAsync(string json) => await _stream.WriteAsync(Encoding.UTF8.GetBytes(json + "\r\n"));

        /// <summary>The next command the client sent.</summary>
        public async Task<JsonObject> ReadAsync()
        {
            var line = await _reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)) ?? throw new IOException("client closed");
            return (JsonObject)JsonNode.Parse(line)!;
        }

        /// <summary>Reads a command, checks its name, and returns its id as JSON text.</summary>
        public async Task<(string Id, JsonObject Command)> ExpectAsync(string execute)
        {
            var c = await ReadAsync();
            Assert.Equal(execute, (string?)c["execute"]);
            return (c["id"]!.ToJsonString(), c);
        }

        public Task ReplyAsync(string id, string returnJson = "{}") => SendAsync($$"""{"return": {{returnJson}}, "id": {{id}}}""");

        /// <summary>Greeting, then answers qmp_capabilities.</summary>
        public async Task HandshakeAsync()
        {
            await SendAsync(Greeting);
            var (id, c) = await ExpectAsync("qmp_capabilities");
            Assert.Null(c["arguments"]);
            await ReplyAsync(id);
        }

        public void Close() => socket.Shutdown(SocketShutdown.Both);

        public async ValueTask DisposeAsync()
        {
            _reader.Dispose();
            await _stream.DisposeAsync();
        }
    }
}
