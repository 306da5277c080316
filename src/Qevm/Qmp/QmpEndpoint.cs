using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Qevm.Qmp;

/// <summary>
/// Where a QMP server listens: a unix socket path, or a TCP host and port. Parsed from QEMU's own
/// <c>-qmp</c> spellings: <c>unix:PATH</c> or a plain path, and <c>tcp:HOST:PORT</c> (IPv6 hosts in brackets).
/// </summary>
public sealed record QmpEndpoint
{
    private QmpEndpoint(string? path, string? host, int port)
    {
        Path = path;
        Host = host;
        Port = port;
    }

    /// <summary>The unix socket path; null for TCP.</summary>
    public string? Path { get; }

    /// <summary>The TCP host; null for a unix socket.</summary>
    public string? Host { get; }

    /// <summary>The TCP port; 0 for a unix socket.</summary>
    public int Port { get; }

    /// <summary>A unix socket at <paramref name="path"/>.</summary>
    public static QmpEndpoint Unix(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new QmpEndpoint(path, null, 0);
    }

    /// <summary>A TCP endpoint.</summary>
    public static QmpEndpoint Tcp(string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        return new QmpEndpoint(null, host, port);
    }

    /// <summary>
    /// Parses <c>tcp:HOST:PORT</c>, <c>unix:PATH</c> or a plain PATH. Anything without the <c>tcp:</c> prefix is a
    /// path, so a file named like <c>host:1234</c> is never mistaken for TCP.
    /// </summary>
    /// <exception cref="ArgumentException">An empty text, or a <c>tcp:</c> text without a valid port.</exception>
    public static QmpEndpoint Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            string rest = text[4..];
            int colon = rest.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
                throw new ArgumentException($"expected tcp:HOST:PORT with a port 1-65535, found '{text}'");
            string host = rest[..colon];
            if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
            if (host.Length == 0) throw new ArgumentException($"expected tcp:HOST:PORT, found '{text}'");
            return Tcp(host, port);
        }
        string path = text.StartsWith("unix:", StringComparison.Ordinal) ? text[5..] : text;
        if (path.Length == 0) throw new ArgumentException("expected unix:PATH, found an empty path");
        return Unix(path);
    }

    /// <summary>The endpoint in the form <see cref="Parse"/> reads.</summary>
    public override string ToString() =>
        Path is not null ? Path : string.Create(CultureInfo.InvariantCulture, $"tcp:{(Host!.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host)}:{Port}");

    internal async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Path is not null)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            EndPoint ep = IPAddress.TryParse(Host, out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host!, Port);
            await tcp.ConnectAsync(ep, cancellationToken).ConfigureAwait(false);
            return tcp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
