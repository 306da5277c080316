namespace Qevm.Tests.Qmp;

/// <summary><c>qevm qmp</c> against a scripted peer: output, one-line errors and exit codes 0/1/2.</summary>
public sealed class QmpCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    [Fact]
    public async Task Status_PrintsTheRunState()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("query-status");
            await p.ReplyAsync(id, """{"status": "paused", "singlestep": false, "running": false}""");
        });
        Assert.Equal((0, "paused\n", ""), Run("qmp", peer.Endpoint, "status"));
        await peer.Completion;
    }

    [Fact]
    public async Task Exec_SendsTheArguments_AndPrintsTheReturnValue()
    {
        await using var peer = FakeQmpPeer.Tcp(async p =>
        {
            await p.HandshakeAsync();
            var (id, c) = await p.ExpectAsync("human-monitor-command");
            Assert.Equal("""{"command-line":"info version"}""", c["arguments"]!.ToJsonString());
            await p.ReplyAsync(id, "\"7.2.22 (Debian 1:7.2+dfsg-7)\\r\\n\"");
        });
        var (code, output, err) = Run("qmp", peer.Endpoint, "exec", """{"execute": "human-monitor-command", "arguments": {"command-line": "info version"}}""");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Equal("\"7.2.22 (Debian 1:7.2+dfsg-7)\\r\\n\"\n", output);
        await peer.Completion;
    }

    [Fact]
    public async Task QmpError_OneLineWithClass_ExitsOne()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("nope");
            await p.SendAsync($$$"""{"id": {{{id}}}, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}""");
        });
        Assert.Equal((1, "", "qmp: CommandNotFound: The command nope has not been found\n"), Run("qmp", peer.Endpoint, "exec", "nope"));
        await peer.Completion;
    }

    [Fact]
    public async Task NoReply_TimesOut_ExitsTwo()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            await p.ExpectAsync("query-status");
            await Task.Delay(6000);
        });
        // --timeout also bounds the greeting: long enough for a loaded machine to greet, short enough for the test.
        var (code, output, err) = Run("qmp", peer.Endpoint, "status", "--timeout", "2");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal($"qevm: QMP at {peer.Endpoint}: no reply to 'query-status' within 2 s\n", err);
    }

    [Fact]
    public void ConnectionFailure_AndBadInput_ExitTwo_WithoutStackTrace()
    {
        var missing = Path.Combine(Path.GetTempPath(), "qevm-none-" + Guid.NewGuid().ToString("N") + ".sock");
        var (code, _, err) = Run("qmp", missing, "status");
        Assert.Equal(2, code);
        var line = Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"qevm: cannot connect to QMP at {missing}: ", line, StringComparison.Ordinal);

        Assert.Equal((2, "", "qevm: expected tcp:HOST:PORT with a port 1-65535, found 'tcp:localhost'\n"), Run("qmp", "tcp:localhost", "status"));
        (code, _, err) = Run("qmp", missing, "exec", "{\"execute\": ");
        Assert.Equal(2, code);
        Assert.StartsWith("qevm: the command is not valid JSON: ", err, StringComparison.Ordinal);
        Assert.Equal((2, "", "qevm: --timeout: expected a positive number of seconds, found 0\n"), Run("qmp", missing, "status", "--timeout", "0"));
        (code, _, err) = Run("qmp", missing, "frobnicate");
        Assert.Equal(2, code);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }
}
