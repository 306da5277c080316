using System.Net.Sockets;

namespace Qevm.Qmp.Server;

/// <summary>One client: greeting, then messages in and responses and events out until it disconnects.</summary>
internal sealed class QmpConnection(Socket socket, QmpServer server) : IDisposable
{
    private readonly SemaphoreSlim _write = new(1, 1);

    /// <summary>The client sent <c>qmp_capabilities</c>: commands are allowed and events are sent.</summary>
    public bool Negotiated { get; set; }

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await SendAsync(server.Greeting(), ct).ConfigureAwait(false);
            var splitter = new QmpMessageSplitter(server.Options.MaxMessageBytes);
            var buffer = new byte[1 << 16];
            var messages = new List<QmpMessageSplitter.Message>();
            while (!ct.IsCancellationRequested)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
                if (n == 0) return;
                messages.Clear();
                splitter.Feed(buffer.AsSpan(0, n), messages);
                foreach (var m in messages)
                {
                    await server.HandleAsync(this, m, ct).ConfigureAwait(false);
                    if (ct.IsCancellationRequested) return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away, or the server is stopping.
        }
    }

    public async Task SendAsync(byte[] json, CancellationToken ct)
    {
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // QEMU ends every message with CR LF (monitor_puts).
            byte[] line = [.. json, (byte)'\r', (byte)'\n'];
            int sent = 0;
            while (sent < line.Length) sent += await socket.SendAsync(line.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }

    public void Dispose()
    {
        socket.Dispose();
        _write.Dispose();
    }
}
