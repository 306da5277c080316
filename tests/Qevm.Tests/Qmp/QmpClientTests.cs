using System.Diagnostics;
using System.Text.Json.Nodes;
using Qevm.Qmp;

namespace Qevm.Tests.Qmp;

/// <summary>The QMP client against a scripted peer: handshake, ids, events, errors, timeouts, cancellation, closes.</summary>
public sealed class QmpClientTests
{
    private static readonly QmpClientOptions Fast = new() { ConnectTimeout = TimeSpan.FromSeconds(5), CommandTimeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Handshake_ReadsGreeting_AndNegotiates()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("query-version");
            await p.ReplyAsync(id, """{"qemu": {"micro": 1, "minor": 2, "major": 7}, "package": " pkg "}""");
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        Assert.Equal(new QmpVersion(7, 2, 0, "Debian 1:7.2+dfsg-7"), client.Greeting.Version);
        Assert.Equal(["oob"], client.Greeting.Capabilities);
        var v = await client.QueryVersionAsync();
        Assert.Equal("7.2.1 (pkg)", v.ToString());
        await peer.Completion;
    }

    [Fact]
    public async Task RepliesOutOfOrder_WithEventsInterleaved_AreMatchedById()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var first = await p.ReadAsync();
            var second = await p.ReadAsync();
            var status = first["execute"]!.GetValue<string>() == "query-status" ? first : second;
            var version = status == first ? second : first;
            Assert.NotEqual(first["id"]!.ToJsonString(), second["id"]!.ToJsonString());
            await p.SendAsync("""{"timestamp": {"seconds": 1700000000, "microseconds": 250000}, "event": "STOP"}""");
            await p.ReplyAsync(version["id"]!.ToJsonString(), """{"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}""");
            await p.SendAsync("""{"timestamp": {"seconds": 1700000001, "microseconds": 0}, "event": "MIGRATION", "data": {"status": "active"}}""");
            await p.ReplyAsync(status["id"]!.ToJsonString(), """{"status": "paused", "singlestep": false, "running": false}""");
            await p.SendAsync("""{"timestamp": {"seconds": 1700000002, "microseconds": 0}, "event": "RESUME"}""");
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        var handled = new List<string>();
        client.EventReceived += (_, e) => { lock (handled) handled.Add(e.Name); };
        using var events = client.Subscribe();
        var statusTask = client.QueryStatusAsync();
        var versionTask = client.QueryVersionAsync();
        Assert.Equal(new QmpStatus("paused", false), await statusTask);
        Assert.Equal(7, (await versionTask).Major);

        var stop = await events.WaitForAsync("STOP");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddMilliseconds(250), stop.Timestamp);
        var migration = await events.Reader.ReadAsync();
        Assert.Equal("MIGRATION", migration.Name);
        Assert.Equal("active", (string?)migration.Data!["status"]);
        Assert.Equal("RESUME", (await events.WaitForAsync("RESUME")).Name);
        lock (handled) Assert.Equal(["STOP", "MIGRATION", "RESUME"], handled);
        await peer.Completion;
    }

    [Fact]
    public async Task ErrorReply_IsTyped_AndTheConnectionStaysUsable()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, c) = await p.ExpectAsync("no-such-command");
            Assert.Equal(1, (int)c["arguments"]!["x"]!);
            await p.SendAsync($$$"""{"id": {{{id}}}, "error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}}""");
            var (id2, _) = await p.ExpectAsync("stop");
            await p.ReplyAsync(id2);
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        var e = await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("no-such-command", new JsonObject { ["x"] = 1 }));
        Assert.Equal("CommandNotFound", e.ErrorClass);
        Assert.Equal("The command no-such-command has not been found", e.Description);
        Assert.Equal("no-such-command", e.Command);
        await client.StopAsync();
        await peer.Completion;
    }

    [Fact]
    public async Task ReplyWithoutId_GoesToTheOnlyPendingCommand()
    {
        // QEMU answers a request it could not parse without an id.
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            await p.ReadAsync();
            await p.SendAsync("""{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword 'x'"}}""");
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        var e = await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("query-status"));
        Assert.Equal("GenericError", e.ErrorClass);
    }

    [Fact]
    public async Task PeerThatNeverAnswers_TimesOut_AndALateReplyIsIgnored()
    {
        var lateSent = new TaskCompletionSource();
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (lost, _) = await p.ExpectAsync("query-status");
            var (id, _) = await p.ExpectAsync("query-version");
            await p.ReplyAsync(lost, """{"status": "running", "running": true}"""); // too late: its command timed out
            await p.ReplyAsync(id, """{"qemu": {"micro": 0, "minor": 0, "major": 10}, "package": ""}""");
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast with { CommandTimeout = TimeSpan.FromMilliseconds(300) });
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TimeoutException>(() => client.QueryStatusAsync());
        Assert.InRange(sw.ElapsedMilliseconds, 250, 3000);
        Assert.Contains("no reply to 'query-status' within 0.3 s", e.Message, StringComparison.Ordinal);
        Assert.True(client.IsConnected);
        Assert.Equal(10, (await client.QueryVersionAsync()).Major);
        await peer.Completion;
    }

    [Fact]
    public async Task Cancellation_ThrowsOperationCanceled_NotTimeout()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            await p.ExpectAsync("query-status");
            await Task.Delay(3000);
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.QueryStatusAsync(cts.Token));
        Assert.Equal(cts.Token, e.CancellationToken);
    }

    [Fact]
    public async Task ConnectionClosedMidCommand_FailsThePendingCommand_AndLaterOnes()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            await p.ExpectAsync("xen-save-devices-state");
            p.Close();
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        using var events = client.Subscribe();
        var e = await Assert.ThrowsAsync<QmpConnectionException>(() => client.ExecuteAsync("xen-save-devices-state", new JsonObject { ["filename"] = "/x" }));
        Assert.Contains("closed by the server (while waiting for the reply to 'xen-save-devices-state')", e.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<QmpConnectionException>(() => client.ExecuteAsync("query-status"));
        // The subscription ends instead of waiting forever.
        await Assert.ThrowsAsync<QmpConnectionException>(() => events.WaitForAsync("STOP").WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task NotQmp_OrNoGreeting_IsAConnectionError_OrATimeout()
    {
        await using (var peer = FakeQmpPeer.Unix(p => p.SendAsync("SSH-2.0-OpenSSH_9.2")))
        {
            var e = await Assert.ThrowsAsync<QmpConnectionException>(() => QmpClient.ConnectAsync(peer.Endpoint, Fast));
            Assert.Contains("not a JSON object: SSH-2.0", e.Message, StringComparison.Ordinal);
        }
        await using (var peer = FakeQmpPeer.Unix(p => p.SendAsync("""{"return": {}}""")))
        {
            var e = await Assert.ThrowsAsync<QmpConnectionException>(() => QmpClient.ConnectAsync(peer.Endpoint, Fast));
            Assert.Contains("expected the QMP greeting", e.Message, StringComparison.Ordinal);
        }
        await using (var peer = FakeQmpPeer.Unix(_ => Task.Delay(3000)))
        {
            var e = await Assert.ThrowsAsync<TimeoutException>(() => QmpClient.ConnectAsync(peer.Endpoint, Fast with { ConnectTimeout = TimeSpan.FromMilliseconds(300) }));
            Assert.Contains("no QMP greeting within 0.3 s", e.Message, StringComparison.Ordinal);
        }
        var missing = Path.Combine(Path.GetTempPath(), "qevm-no-such-" + Guid.NewGuid().ToString("N"), "qmp.sock");
        var c = await Assert.ThrowsAsync<QmpConnectionException>(() => QmpClient.ConnectAsync(missing, Fast));
        Assert.StartsWith("cannot connect to QMP at " + missing, c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedMessage_ClosesTheConnection_SmallerOnesPass()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("query-qmp-schema");
            await p.ReplyAsync(id, "\"" + new string('a', 200_000) + "\"");
            (id, _) = await p.ExpectAsync("query-qmp-schema");
            await p.ReplyAsync(id, "\"" + new string('b', 300_000) + "\"");
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast with { MaxMessageBytes = 256 * 1024 });
        Assert.Equal(200_000, ((string?)await client.ExecuteAsync("query-qmp-schema"))!.Length);
        var e = await Assert.ThrowsAsync<QmpConnectionException>(() => client.ExecuteAsync("query-qmp-schema"));
        Assert.Contains("sent a message longer than 262144 bytes", e.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Tcp_Works()
    {
        await using var peer = FakeQmpPeer.Tcp(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("query-status");
            await p.ReplyAsync(id, """{"status": "running", "singlestep": false, "running": true}""");
        });
        Assert.StartsWith("tcp:127.0.0.1:", peer.Endpoint, StringComparison.Ordinal);
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        Assert.Equal(new QmpStatus("running", true), await client.QueryStatusAsync());
        await peer.Completion;
    }

    [Theory]
    [InlineData("tcp:127.0.0.1:4444", null, "127.0.0.1", 4444)]
    [InlineData("tcp:[::1]:4444", null, "::1", 4444)]
    [InlineData("tcp:localhost:1", null, "localhost", 1)]
    [InlineData("unix:/run/qmp.sock", "/run/qmp.sock", null, 0)]
    [InlineData("qmp.sock", "qmp.sock", null, 0)]
    [InlineData("localhost:4444", "localhost:4444", null, 0)]
    public void Endpoint_Parses(string text, string? path, string? host, int port)
    {
        var e = QmpEndpoint.Parse(text);
        Assert.Equal(path, e.Path);
        Assert.Equal(host, e.Host);
        Assert.Equal(port, e.Port);
    }

    [Theory]
    [InlineData("tcp:host")]
    [InlineData("tcp::4444")]
    [InlineData("tcp:host:0")]
    [InlineData("tcp:host:65536")]
    [InlineData("tcp:host:x")]
    [InlineData("unix:")]
    public void Endpoint_RefusesBadText(string text) => Assert.Throws<ArgumentException>(() => QmpEndpoint.Parse(text));
}
