using System.Diagnostics;
using Qevm.Qmp;

namespace Qevm.Tests.Qmp;

/// <summary><c>MigrateToFileAsync</c> and <c>SaveDevicesStateAsync</c> against a scripted peer that runs the exec: command as QEMU does.</summary>
public sealed class QmpMigrateTests : IDisposable
{
    private static readonly QmpClientOptions Fast = new() { CommandTimeout = TimeSpan.FromSeconds(5), MigrationPollInterval = TimeSpan.FromMilliseconds(10) };
    private const string Capabilities = """[{"state": false, "capability": "xbzrle"}, {"state": POSTCOPY, "capability": "postcopy-ram"}]""";

    // A folder name a shell would split and unquote: the exec: command must quote it.
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-qmp-it's $(x) ").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Collect : IProgress<MigrationInfo>
    {
        public List<MigrationInfo> Seen { get; } = [];
        public void Report(MigrationInfo value) => Seen.Add(value);
    }

    // As QEMU does for exec:, through /bin/sh -c.
    private static async Task RunExecAsync(string uri, string content)
    {
        Assert.StartsWith("exec:cat > '", uri, StringComparison.Ordinal);
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(uri["exec:".Length..]);
        using var sh = Process.Start(psi)!;
        await sh.StandardInput.WriteAsync(content);
        sh.StandardInput.Close();
        await sh.WaitForExitAsync();
        Assert.Equal(0, sh.ExitCode);
    }

    [Fact]
    public async Task MigrateToFile_StopsRaisesBandwidthPollsAndRestores()
    {
        var file = Path.Combine(_dir, "out 'x'.mig");
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("query-migrate-capabilities");
            await p.ReplyAsync(id, Capabilities.Replace("POSTCOPY", "false", StringComparison.Ordinal));
            (id, _) = await p.ExpectAsync("stop");
            await p.ReplyAsync(id);
            (id, _) = await p.ExpectAsync("query-migrate-parameters");
            await p.ReplyAsync(id, """{"max-bandwidth": 134217728, "downtime-limit": 300}""");
            (id, var set) = await p.ExpectAsync("migrate-set-parameters");
            Assert.Equal(100_000_000_000, (long)set["arguments"]!["max-bandwidth"]!);
            await p.ReplyAsync(id);
            (id, var migrate) = await p.ExpectAsync("migrate");
            await RunExecAsync((string)migrate["arguments"]!["uri"]!, "STREAM");
            await p.ReplyAsync(id);
            (id, _) = await p.ExpectAsync("query-migrate");
            await p.ReplyAsync(id, """{"status": "active", "total-time": 5, "expected-downtime": 300, "ram": {"transferred": 1000, "total": 16777216, "remaining": 8000000}}""");
            (id, _) = await p.ExpectAsync("query-migrate");
            await p.ReplyAsync(id, """
                {"status": "completed", "setup-time": 1, "downtime": 12, "total-time": 42,
                 "ram": {"transferred": 9000000, "total": 16777216, "remaining": 0, "duplicate": 2000, "normal": 2100,
                         "normal-bytes": 8601600, "page-size": 4096, "dirty-sync-count": 2, "mbps": 1714.5}}
                """.ReplaceLineEndings(" "));
            (id, set) = await p.ExpectAsync("migrate-set-parameters");
            Assert.Equal(134217728, (long)set["arguments"]!["max-bandwidth"]!);
            await p.ReplyAsync(id);
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        var progress = new Collect();
        var info = await client.MigrateToFileAsync(file, stopFirst: true, progress, maxBandwidth: 100_000_000_000);
        await peer.Completion;

        Assert.Equal("STREAM", await File.ReadAllTextAsync(file));
        Assert.Equal([Path.GetFileName(file)], Directory.GetFiles(_dir).Select(Path.GetFileName));
        Assert.Equal(["active", "completed"], progress.Seen.Select(i => i.Status));
        Assert.Equal(8000000, progress.Seen[0].Ram!.Remaining);
        Assert.Equal("completed", info.Status);
        Assert.Equal(42, info.TotalTimeMs);
        Assert.Equal(12, info.DowntimeMs);
        Assert.Equal(1, info.SetupTimeMs);
        Assert.Equal(new MigrationRamInfo(9000000, 16777216, 0, 2000, 2100, 8601600, 4096, 2, 1714.5), info.Ram);
    }

    [Fact]
    public async Task MigrateToFile_RefusesPostcopy_BeforeAnythingHappens()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("query-migrate-capabilities");
            await p.ReplyAsync(id, Capabilities.Replace("POSTCOPY", "true", StringComparison.Ordinal));
            (id, _) = await p.ExpectAsync("query-status"); // not stop, not migrate
            await p.ReplyAsync(id, """{"status": "running", "running": true}""");
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.MigrateToFileAsync(Path.Combine(_dir, "x.mig"), stopFirst: true));
        Assert.Contains("postcopy-ram", e.Message, StringComparison.Ordinal);
        Assert.True((await client.QueryStatusAsync()).Running);
        await peer.Completion;
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task MigrateToFile_Failed_ReportsQemusReason_AndLeavesNoFile()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("query-migrate-capabilities");
            await p.ReplyAsync(id, Capabilities.Replace("POSTCOPY", "false", StringComparison.Ordinal));
            (id, var migrate) = await p.ExpectAsync("migrate");
            await RunExecAsync((string)migrate["arguments"]!["uri"]!, "PART");
            await p.ReplyAsync(id);
            (id, _) = await p.ExpectAsync("query-migrate");
            await p.ReplyAsync(id, """{"status": "failed", "error-desc": "Unable to write to command: Broken pipe"}""");
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.MigrateToFileAsync(Path.Combine(_dir, "x.mig")));
        Assert.Equal("migration failed: Unable to write to command: Broken pipe", e.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task MigrateToFile_Cancelled_SendsMigrateCancel()
    {
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, _) = await p.ExpectAsync("query-migrate-capabilities");
            await p.ReplyAsync(id, Capabilities.Replace("POSTCOPY", "false", StringComparison.Ordinal));
            (id, _) = await p.ExpectAsync("migrate");
            await p.ReplyAsync(id);
            while (true)
            {
                var c = await p.ReadAsync();
                await p.ReplyAsync(c["id"]!.ToJsonString(), (string?)c["execute"] == "query-migrate" ? """{"status": "active"}""" : "{}");
                if ((string?)c["execute"] == "migrate_cancel") break;
            }
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.MigrateToFileAsync(Path.Combine(_dir, "x.mig"), cancellationToken: cts.Token));
        await peer.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task SaveDevicesState_PassesAnAbsolutePath_AndRenamesWhenQemuSucceeded()
    {
        var file = Path.Combine(_dir, "device.state");
        await using var peer = FakeQmpPeer.Unix(async p =>
        {
            await p.HandshakeAsync();
            var (id, c) = await p.ExpectAsync("xen-save-devices-state");
            var target = (string)c["arguments"]!["filename"]!;
            Assert.True(Path.IsPathFullyQualified(target));
            Assert.Equal(_dir, Path.GetDirectoryName(target));
            Assert.True((bool)c["arguments"]!["live"]!);
            await File.WriteAllTextAsync(target, "DEVICES");
            await p.ReplyAsync(id);
            (id, c) = await p.ExpectAsync("xen-save-devices-state");
            await File.WriteAllTextAsync((string)c["arguments"]!["filename"]!, "PART");
            await p.SendAsync($$$"""{"id": {{{id}}}, "error": {"class": "GenericError", "desc": "No space left on device"}}""");
        });
        await using var client = await QmpClient.ConnectAsync(peer.Endpoint, Fast);
        await client.SaveDevicesStateAsync(file, live: true);
        Assert.Equal("DEVICES", await File.ReadAllTextAsync(file));
        var e = await Assert.ThrowsAsync<QmpException>(() => client.SaveDevicesStateAsync(Path.Combine(_dir, "second.state")));
        Assert.Equal("No space left on device", e.Description);
        Assert.Equal(["device.state"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        await peer.Completion;
    }
}
