using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Qevm.LoadBench;

/// <summary>A plain QMP client: raw JSON over a unix socket, one message per CR LF line, no Qevm code.</summary>
internal sealed class LineClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly MemoryStream _pending = new();

    private LineClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<LineClient> ConnectAsync(string path, bool negotiate = true)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(path));
        var c = new LineClient(s);
        await c.ReadAsync(TimeSpan.FromSeconds(60));
        if (negotiate) await c.ExecuteAsync("""{"execute": "qmp_capabilities"}""", TimeSpan.FromSeconds(60));
        return c;
    }

    public Socket Socket => _socket;

    public Task SendAsync(string json) => _stream.WriteAsync(Encoding.UTF8.GetBytes(json + "\n")).AsTask();

    public Task SendAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Sends a command and returns its reply (events are skipped); throws when none comes in time.</summary>
    public async Task<JsonNode> ExecuteAsync(string json, TimeSpan timeout)
    {
        await SendAsync(json);
        while (true)
        {
            var m = await ReadAsync(timeout);
            if (m["event"] is null) return m;
        }
    }

    public async Task<JsonNode> ReadAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var span = _pending.GetBuffer().AsSpan(0, (int)_pending.Length);
            int end = span.IndexOf("\r\n"u8);
            if (end >= 0)
            {
                var line = JsonNode.Parse(span[..end])!;
                var rest = span[(end + 2)..].ToArray();
                _pending.SetLength(0);
                _pending.Write(rest);
                return line;
            }
            int n;
            try
            {
                n = await _stream.ReadAsync(_buffer, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no reply within {timeout.TotalSeconds} s");
            }
            if (n == 0) throw new IOException("the server closed the connection");
            _pending.Write(_buffer, 0, n);
        }
    }

    public void Dispose() => _stream.Dispose();
}
