using System.Text.Json.Nodes;

namespace Qevm.Qmp;

// The commands a C# user of QEMU's save and migration paths needs, typed.
public sealed partial class QmpClient
{
    /// <summary><c>query-version</c>: QEMU's version.</summary>
    public async Task<QmpVersion> QueryVersionAsync(CancellationToken cancellationToken = default) =>
        QmpVersion.FromJson(await ExecuteAsync("query-version", null, cancellationToken).ConfigureAwait(false));

    /// <summary><c>query-status</c>: the run state (<c>running</c>, <c>paused</c>, <c>postmigrate</c>, ...).</summary>
    public async Task<QmpStatus> QueryStatusAsync(CancellationToken cancellationToken = default)
    {
        var o = await ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false) as JsonObject;
        return new QmpStatus(QmpJson.String(o, "status") ?? "unknown", QmpJson.Bool(o, "running"));
    }

    /// <summary><c>stop</c>: pauses the guest's CPUs (QEMU then emits <c>STOP</c>).</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => ExecuteAsync("stop", null, cancellationToken);

    /// <summary><c>cont</c>: resumes the guest's CPUs (QEMU then emits <c>RESUME</c>).</summary>
    public Task ContAsync(CancellationToken cancellationToken = default) => ExecuteAsync("cont", null, cancellationToken);

    /// <summary>
    /// <c>xen-save-devices-state</c>: QEMU writes the state of every device (no RAM) to <paramref name="file"/>. QEMU
    /// opens the file itself, so the path is one on QEMU's host; a relative path is made absolute here. The file is
    /// written under a temporary name and renamed when QEMU succeeded, so a failed save leaves no partial file (this
    /// needs QEMU on the same host).
    /// </summary>
    /// <param name="file">Where the file goes.</param>
    /// <param name="live">QEMU's <c>live</c> argument: true when the guest keeps running (the devices are saved with the
    /// guest stopped for the moment of the save either way).</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    public Task SaveDevicesStateAsync(string file, bool live = false, CancellationToken cancellationToken = default) =>
        WriteThroughTemporaryAsync(file, temp => ExecuteAsync("xen-save-devices-state",
            new JsonObject { ["filename"] = temp, ["live"] = live }, cancellationToken));

    /// <summary>
    /// <c>xen-load-devices-state</c>: QEMU loads a device-state file into the stopped guest. On a QEMU 7.2 that is
    /// not a Xen guest this only works with <c>-global migration.send-configuration=off</c> and a pending
    /// <c>-incoming defer</c> + <c>migrate-incoming</c>; otherwise QEMU refuses ("Configuration section missing")
    /// or aborts after loading (see the README).
    /// </summary>
    public Task LoadDevicesStateAsync(string file, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        return ExecuteAsync("xen-load-devices-state", new JsonObject { ["filename"] = Path.GetFullPath(file) }, cancellationToken);
    }

    /// <summary><c>query-migrate</c>: the outgoing migration's status and figures.</summary>
    public async Task<MigrationInfo> QueryMigrateAsync(CancellationToken cancellationToken = default) =>
        MigrationInfo.FromJson(await ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Migrates the guest into <paramref name="file"/> (<c>migrate</c> to <c>exec:cat &gt; 'FILE'</c>, the path
    /// quoted for the shell QEMU runs) and polls <c>query-migrate</c> until it completes. The stream goes to a
    /// temporary name and is renamed when QEMU reports <c>completed</c>, so QEMU must run on this host.
    /// After a completed migration QEMU leaves the guest paused (<c>postmigrate</c>); <c>cont</c> resumes it.
    /// </summary>
    /// <param name="file">Where the stream goes.</param>
    /// <param name="stopFirst">Stop the guest before migrating (a consistent, non-live stream).</param>
    /// <param name="progress">Receives every <c>query-migrate</c> answer while it runs, and the final one.</param>
    /// <param name="maxBandwidth">When given, QEMU's <c>max-bandwidth</c> (bytes per second) during the migration;
    /// the previous value is restored afterwards. QEMU 7.2's default is 128 MiB/s.</param>
    /// <param name="cancellationToken">Cancels: the migration is cancelled with <c>migrate_cancel</c>.</param>
    /// <returns>The final <c>query-migrate</c> answer: total time, downtime, RAM figures.</returns>
    /// <exception cref="InvalidOperationException">The <c>postcopy-ram</c> capability is on (a postcopy migration needs a
    /// return path and never completes through <c>exec:</c>), or the migration failed or was cancelled by QEMU.</exception>
    public async Task<MigrationInfo> MigrateToFileAsync(string file, bool stopFirst = false, IProgress<MigrationInfo>? progress = null,
        long? maxBandwidth = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        if (maxBandwidth is { } b) ArgumentOutOfRangeException.ThrowIfNegative(b, nameof(maxBandwidth));
        await RefusePostcopyAsync(cancellationToken).ConfigureAwait(false);
        if (stopFirst) await StopAsync(cancellationToken).ConfigureAwait(false);
        JsonNode? previousBandwidth = null;
        if (maxBandwidth is { } bandwidth)
        {
            var parameters = await ExecuteAsync("query-migrate-parameters", null, cancellationToken).ConfigureAwait(false) as JsonObject;
            previousBandwidth = parameters?["max-bandwidth"]?.DeepClone();
            await ExecuteAsync("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = bandwidth }, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            MigrationInfo info = null!;
            await WriteThroughTemporaryAsync(file, async temp =>
            {
                await ExecuteAsync("migrate", new JsonObject { ["uri"] = "exec:cat > " + ShellQuote(temp) }, cancellationToken).ConfigureAwait(false);
                info = await WaitForMigrationAsync(progress, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            return info;
        }
        finally
        {
            if (previousBandwidth is not null && IsConnected)
                await ExecuteAsync("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = previousBandwidth }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task RefusePostcopyAsync(CancellationToken cancellationToken)
    {
        if (await ExecuteAsync("query-migrate-capabilities", null, cancellationToken).ConfigureAwait(false) is not JsonArray caps) return;
        foreach (var c in caps)
            if (c is JsonObject o && QmpJson.String(o, "capability") == "postcopy-ram" && QmpJson.Bool(o, "state"))
                throw new InvalidOperationException(
                    "refusing to migrate to a file with the postcopy-ram capability on: a postcopy migration needs a return path and never completes through exec: " +
                    "(turn it off with migrate-set-capabilities)");
    }

    private async Task<MigrationInfo> WaitForMigrationAsync(IProgress<MigrationInfo>? progress, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var info = await QueryMigrateAsync(cancellationToken).ConfigureAwait(false);
                progress?.Report(info);
                if (info.Status == "completed") return info;
                if (info.IsFinished)
                    throw new InvalidOperationException($"migration {info.Status}" + (info.ErrorDescription is { } d ? ": " + d : ""));
                await Task.Delay(Options.MigrationPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && IsConnected)
        {
            // Do not leave QEMU migrating into a file nobody will keep.
            await ExecuteAsync("migrate_cancel", null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    // QEMU writes FILE; it goes to a temporary name beside it and is renamed only when QEMU succeeded.
    private static async Task WriteThroughTemporaryAsync(string file, Func<string, Task> produce)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        string full = Path.GetFullPath(file);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            await produce(temp).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp); // nothing there after the move; a failed save's part otherwise
        }
    }

    // POSIX sh single quotes: QEMU runs exec: URIs through /bin/sh -c.
    internal static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
