using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Qevm.Engine.Devices;
using Qevm.Qmp.Server;

namespace Qevm.Tests.Qmp.Server;

/// <summary>
/// The server under clients that misbehave: one that stops reading is disconnected and nobody else waits for it;
/// events reach the readers; a load from a file that blocks (a FIFO nobody writes) holds up only its own client.
/// </summary>
[Collection(LoadCollection.Name)]
public sealed class QmpServerLoadTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-serve-load-").FullName;
    private readonly List<string> _log = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null) await _run.WaitAsync(TimeSpan.FromSeconds(20));
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<string> StartAsync(int queue, bool paused = false)
    {
        var socket = Path.Combine(_dir, "qmp.sock");
        var server = new QmpServer(new SampleMachine().Registry, new QmpServerOptions
        {
            StartPaused = paused,
            OutputQueueLength = queue,
            Log = line =>
            {
                lock (_log) _log.Add(line);
            },
        });
        _run = server.RunAsync(new UnixDomainSocketEndPoint(socket), _stop.Token);
        await server.Listening;
        return socket;
    }

    private static RawQmpClient Negotiated(string socket)
    {
        var c = new RawQmpClient(socket);
        Assert.Equal("{}", c.Execute("""{"execute": "qmp_capabilities"}""")["return"]!.ToJsonString());
        return c;
    }

    // A client that negotiates and then never reads again, with a small receive buffer so it fills quickly.
    private static Socket Idle(string socket)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveBufferSize = 4096 };
        s.Connect(new UnixDomainSocketEndPoint(socket));
        s.Send("{\"execute\": \"qmp_capabilities\"}\n"u8);
        return s;
    }

    [Fact]
    public async Task AClientThatStopsReading_IsDisconnected_AndTheOthersFinishEveryRound()
    {
        var socket = await StartAsync(queue: 32);
        using var idle = Idle(socket);
        const int Clients = 8, Rounds = 40;
        var workers = Enumerable.Range(0, Clients).Select(n => Task.Run(() =>
        {
            using var c = Negotiated(socket);
            var file = Path.Combine(_dir, $"dev{n}.state");
            int answered = 0;
            for (int r = 0; r < Rounds; r++)
            {
                // Each reply carries this round's id: none is lost or mixed up.
                foreach (var command in (string[])
                         [$$$"""{"execute": "xen-save-devices-state", "arguments": {"filename": "{{{file}}}"}, "id": "s{{{r}}}"}""",
                          $$$"""{"execute": "stop", "id": "p{{{r}}}"}""",
                          $$$"""{"execute": "query-status", "id": "q{{{r}}}"}""",
                          $$$"""{"execute": "cont", "id": "c{{{r}}}"}"""])
                {
                    var answer = c.Execute(command);
                    Assert.Equal(JsonNode.Parse(command)!["id"]!.ToJsonString(), answer["id"]!.ToJsonString());
                    Assert.NotNull(answer["return"]);
                }
                answered++;
            }
            return answered;
        })).ToArray();
        var rounds = await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(Enumerable.Repeat(Rounds, Clients), rounds);

        lock (_log) Assert.Contains(_log, l => l.Contains("disconnected: it stopped reading (output queue of 32 messages full)", StringComparison.Ordinal));
        // The idle client's connection was closed by the server: once its buffered bytes are read, EOF.
        idle.ReceiveTimeout = 20_000;
        var buffer = new byte[1 << 16];
        while (idle.Receive(buffer) > 0)
        {
        }
    }

    [Fact]
    public async Task EventsFanOutToEveryReader_WhileAClientDoesNotRead()
    {
        // The idle client overflows 128 messages within the 400 events; a reader would have to fall 128 behind.
        var socket = await StartAsync(queue: 128);
        using var idle = Idle(socket);
        using var a = Negotiated(socket);
        using var b = Negotiated(socket);
        using var c = Negotiated(socket);
        var readers = new[] { b, c }.Select(r => Task.Run(() =>
        {
            var seen = new List<string>();
            while (seen.Count < 400) seen.Add((string)r.Read()["event"]!);
            return seen;
        })).ToArray();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal("{}", a.Execute("""{"execute": "stop"}""")["return"]!.ToJsonString());
            Assert.Equal("{}", a.Execute("""{"execute": "cont"}""")["return"]!.ToJsonString());
        }
        var expected = Enumerable.Range(0, 400).Select(i => i % 2 == 0 ? "STOP" : "RESUME");
        foreach (var seen in await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60))) Assert.Equal(expected, seen);
        // The issuing client got its own events before each reply, in order, too.
        Assert.Equal(expected, a.Events.Select(e => (string)e["event"]!));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"400 commands took {watch.Elapsed}");
        lock (_log) Assert.Contains(_log, l => l.Contains("disconnected: it stopped reading", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALoadFromAFifoNobodyWrites_DoesNotHoldUpAnotherClient()
    {
        var socket = await StartAsync(queue: 64, paused: true);
        using var a = Negotiated(socket);
        using var b = Negotiated(socket);
        var saved = Path.Combine(_dir, "saved.state");
        Assert.NotNull(b.Execute($$$"""{"execute": "xen-save-devices-state", "arguments": {"filename": "{{{saved}}}"}}""")["return"]);
        var fifo = Path.Combine(_dir, "fifo");
        using (var mkfifo = Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync();
        Assert.True(File.Exists(fifo));

        // a's load blocks opening the FIFO (no writer yet)...
        a.SendRaw($$$"""{"execute": "xen-load-devices-state", "arguments": {"filename": "{{{fifo}}}"}, "id": "load"}""");
        await Task.Delay(300);
        // ...while b is answered, including a save, which takes the device lock.
        var watch = Stopwatch.StartNew();
        Assert.Equal("paused", (string)b.Execute("""{"execute": "query-status"}""")["return"]!["status"]!);
        Assert.NotNull(b.Execute($$$"""{"execute": "xen-save-devices-state", "arguments": {"filename": "{{{_dir}}}/other.state"}}""")["return"]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"b waited {watch.Elapsed}");

        // Once the FIFO has a writer, a's load completes with what was written.
        await File.WriteAllBytesAsync(fifo, await File.ReadAllBytesAsync(saved));
        var load = a.Answer();
        Assert.Equal("load", (string)load["id"]!);
        Assert.Equal("{}", load["return"]!.ToJsonString());
    }
}
