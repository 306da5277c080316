using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Qevm.Tests.Qmp.Server;

/// <summary>A plain QMP client for the tests: raw JSON over a unix socket, one message per CR LF line, no Qevm code.</summary>
internal sealed class RawQmpClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly List<byte> _pending = [];

    public RawQmpClient(string path)
    {
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        _socket.ReceiveTimeout = 20_000;
        Greeting = Read();
    }

    public JsonNode Greeting { get; }

    /// <summary>Events received while waiting for answers, in order.</summary>
    public List<JsonNode> Events { get; } = [];

    public void SendRaw(string text) => _socket.Send(Encoding.UTF8.GetBytes(text));

    public void SendBytes(byte[] bytes) => _socket.Send(bytes);

    /// <summary>Sends <paramref name="json"/> and returns the next non-event message; events go to <see cref="Events"/>.</summary>
    public JsonNode Execute(string json)
    {
        SendRaw(json);
        return Answer();
    }

    public JsonNode Answer()
    {
        while (true)
        {
            var m = Read();
            if (m["event"] is not null) Events.Add(m);
            else return m;
        }
    }

    public JsonNode Read()
    {
        while (true)
        {
            for (int i = 0; i + 1 < _pending.Count; i++)
            {
                if (_pending[i] != '\r' || _pending[i + 1] != '\n') continue;
                var line = Encoding.UTF8.GetString([.. _pending.GetRange(0, i)]);
                _pending.RemoveRange(0, i + 2);
                return JsonNode.Parse(line)!;
            }
            var buffer = new byte[65536];
            int n = _socket.Receive(buffer);
            if (n == 0) throw new IOException("the server closed the connection");
            _pending.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    public void Dispose() => _socket.Dispose();
}
