using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qevm.Qmp;
using Spectre.Console;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>qevm qmp SOCKET save-devices|load-devices|migrate-to-file|status|exec ...</c>: drives a running QEMU through
/// <see cref="QmpClient"/>. A QMP error prints <c>qmp: CLASS: description</c> and exits 1; a connection failure or
/// timeout exits 2.
/// </summary>
internal static class QmpCommand
{
    public static Command Create(CliOutput output)
    {
        var socket = new Argument<string>("SOCKET") { Description = "QEMU's QMP socket: a unix socket path (or unix:PATH), or tcp:HOST:PORT" };
        var timeout = new Option<double>("--timeout")
        {
            Description = "seconds to wait for the connection and for each reply",
            DefaultValueFactory = _ => 30,
            Recursive = true,
        };
        var cmd = new Command("qmp", "Drive a running QEMU over QMP: save or load device state, migrate to a file, query status, run any command")
        {
            socket, timeout,
        };
        Context Ctx(ParseResult pr) => new(output, pr.GetValue(socket)!, pr.GetValue(timeout));

        var file = new Argument<string>("FILE") { Description = "the file, on QEMU's host (QEMU opens it)" };
        var live = new Option<bool>("--live") { Description = "QEMU's live=true: the guest keeps running (xen-save-devices-state)" };
        var save = new Command("save-devices", "xen-save-devices-state: QEMU writes the device-state file (no RAM)") { file, live };
        save.SetAction((pr, ct) => RunAsync(Ctx(pr), ct, async (client, ct) =>
        {
            var path = pr.GetValue(file)!;
            await client.SaveDevicesStateAsync(path, pr.GetValue(live), ct);
            output.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}: device state saved by QEMU {client.Greeting.Version} ({new FileInfo(path).Length} bytes)"));
            return 0;
        }));
        cmd.Subcommands.Add(save);

        var load = new Command("load-devices", "xen-load-devices-state: QEMU loads a device-state file into the stopped guest") { file };
        load.SetAction((pr, ct) => RunAsync(Ctx(pr), ct, async (client, ct) =>
        {
            var path = pr.GetValue(file)!;
            await client.LoadDevicesStateAsync(path, ct);
            output.Out.WriteLine($"{path}: device state loaded");
            return 0;
        }));
        cmd.Subcommands.Add(load);

        var stop = new Option<bool>("--stop") { Description = "stop the guest first (a consistent, non-live stream)" };
        var bandwidth = new Option<long?>("--max-bandwidth") { Description = "QEMU's max-bandwidth in bytes/s during the migration (restored afterwards); QEMU 7.2's default is 128 MiB/s" };
        var migrate = new Command("migrate-to-file", "migrate to exec:cat > FILE and wait for completion; prints QEMU's figures") { file, stop, bandwidth };
        migrate.SetAction((pr, ct) => RunAsync(Ctx(pr), ct, async (client, ct) =>
        {
            var path = pr.GetValue(file)!;
            MigrationInfo info;
            if (output.IsTerminal)
            {
                info = null!;
                // A live bar (InfoRenderer's console is non-interactive: it would print a line now and then).
                var console = AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(output.Out),
                    Ansi = AnsiSupport.Detect,
                    ColorSystem = ColorSystemSupport.Detect,
                    Interactive = InteractionSupport.Detect,
                });
                await console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("migrate", maxValue: 1);
                        info = await client.MigrateToFileAsync(path, pr.GetValue(stop), new SyncProgress(i =>
                        {
                            task.Description = "migrate: " + i.Status;
                            if (i.Ram is { Total: > 0 } r) task.Value = Math.Clamp(1 - (double)r.Remaining / r.Total, 0, 1);
                        }), pr.GetValue(bandwidth), ct);
                        task.Value = 1;
                    });
            }
            else
            {
                info = await client.MigrateToFileAsync(path, pr.GetValue(stop), null, pr.GetValue(bandwidth), ct);
            }
            WriteFigures(output.Out, path, info);
            return 0;
        }));
        cmd.Subcommands.Add(migrate);

        var status = new Command("status", "query-status: prints the run state (running, paused, postmigrate, ...)");
        status.SetAction((pr, ct) => RunAsync(Ctx(pr), ct, async (client, ct) =>
        {
            output.Out.WriteLine((await client.QueryStatusAsync(ct)).Status);
            return 0;
        }));
        cmd.Subcommands.Add(status);

        var json = new Argument<string>("JSON") { Description = """a command: {"execute": NAME, "arguments": {...}} or just NAME""" };
        var exec = new Command("exec", "run any QMP command and print its return value as JSON") { json };
        exec.SetAction((pr, ct) =>
        {
            string name;
            JsonObject? arguments;
            try
            {
                (name, arguments) = ParseCommand(pr.GetValue(json)!);
            }
            catch (ArgumentException e)
            {
                output.Error.WriteLine("qevm: " + e.Message);
                return Task.FromResult(Program.UsageOrIo);
            }
            return RunAsync(Ctx(pr), ct, async (client, ct) =>
            {
                var result = await client.ExecuteAsync(name, arguments, ct);
                WriteJson(output.Out, result);
                return 0;
            });
        });
        cmd.Subcommands.Add(exec);
        return cmd;
    }

    private sealed record Context(CliOutput Output, string Socket, double TimeoutSeconds);

    private sealed class SyncProgress(Action<MigrationInfo> report) : IProgress<MigrationInfo>
    {
        public void Report(MigrationInfo value) => report(value);
    }

    /// <summary>Connects, runs the body, and maps every failure to one line and an exit code.</summary>
    private static async Task<int> RunAsync(Context c, CancellationToken cancellationToken, Func<QmpClient, CancellationToken, Task<int>> body)
    {
        var err = c.Output.Error;
        try
        {
            if (!(c.TimeoutSeconds > 0) || c.TimeoutSeconds > int.MaxValue / 1000)
                throw new ArgumentException($"--timeout: expected a positive number of seconds, found {c.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
            var limit = TimeSpan.FromSeconds(c.TimeoutSeconds);
            var endpoint = QmpEndpoint.Parse(c.Socket);
            // Ctrl+C or SIGTERM cancels, so that a migration is cancelled in QEMU and no partial file stays.
            using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void Cancel(PosixSignalContext ctx)
            {
                ctx.Cancel = true;
                interrupted.Cancel();
            }
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
            await using var client = await QmpClient.ConnectAsync(endpoint, new QmpClientOptions { ConnectTimeout = limit, CommandTimeout = limit }, interrupted.Token);
            return await body(client, interrupted.Token);
        }
        catch (QmpException e)
        {
            err.WriteLine($"qmp: {e.ErrorClass}: {e.Description}");
            return Program.InvalidInput;
        }
        catch (InvalidOperationException e)
        {
            // A refused or failed migration: the request cannot be done in the guest's state.
            err.WriteLine("qevm: " + e.Message);
            return Program.InvalidInput;
        }
        catch (OperationCanceledException)
        {
            err.WriteLine("qevm: cancelled");
            return Program.UsageOrIo;
        }
        catch (Exception e) when (e is IOException or TimeoutException or ArgumentException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            err.WriteLine("qevm: " + e.Message);
            return Program.UsageOrIo;
        }
    }

    /// <summary>Reads <c>{"execute": NAME, "arguments": {...}}</c> (other members such as <c>id</c> are ignored) or a bare NAME.</summary>
    private static (string Name, JsonObject? Arguments) ParseCommand(string text)
    {
        text = text.Trim();
        if (!text.StartsWith('{'))
        {
            if (text.Length == 0 || text.Any(char.IsWhiteSpace)) throw new ArgumentException($"expected a command name or a JSON object, found '{text}'");
            return (text, null);
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new ArgumentException("the command is not valid JSON: " + e.Message, e);
        }
        if (node is not JsonObject o || o["execute"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw new ArgumentException("""expected {"execute": "NAME", "arguments": {...}}""");
        JsonObject? arguments = null;
        if (o["arguments"] is { } a)
        {
            arguments = a as JsonObject ?? throw new ArgumentException("\"arguments\" must be a JSON object");
            o.Remove("arguments");
        }
        return (v.GetValue<string>(), arguments);
    }

    // QEMU's text as it is ("+", "<", non-ASCII), not \u-escaped as for embedding in HTML.
    private static void WriteJson(TextWriter writer, JsonNode? node)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (node is null) w.WriteNullValue();
            else node.WriteTo(w);
        }
        writer.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
    }

    private static void WriteFigures(TextWriter w, string path, MigrationInfo i)
    {
        var ci = CultureInfo.InvariantCulture;
        static string Ms(long? v) => v is { } x ? x.ToString(CultureInfo.InvariantCulture) + " ms" : "-";
        w.WriteLine(string.Create(ci, $"{path}: migration {i.Status} ({new FileInfo(path).Length} bytes)"));
        w.WriteLine($"total time: {Ms(i.TotalTimeMs)}, downtime: {Ms(i.DowntimeMs)}, setup: {Ms(i.SetupTimeMs)}");
        if (i.Ram is { } r)
        {
            w.WriteLine(string.Create(ci, $"ram: total {r.Total} bytes, transferred {r.Transferred} bytes, remaining {r.Remaining} bytes"));
            w.WriteLine(string.Create(ci, $"ram pages: {r.Duplicate} duplicate, {r.Normal} normal ({r.NormalBytes} bytes), page size {r.PageSize}, {r.DirtySyncCount} dirty syncs, {r.Mbps:0.##} Mbit/s"));
        }
    }
}
