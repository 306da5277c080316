using System.Diagnostics;
using System.Globalization;
using System.Text;
using Qevm.LoadBench;

// qevm serve under load: N clients × M rounds of save, stop, load and cont, while one client negotiates and never
// reads again and another sends a 64 MiB line. Every reply must arrive; prints p50/p99 command latency and rounds
// per second per N as a Markdown table.
//   dotnet run -c Release --project bench/Qevm.LoadBench -- --qevm src/Qevm.Cli/bin/Release/net10.0/qevm [--rounds 25] [--clients 1,8,32,128]
var argv = args.ToList();
string Arg(string name, string fallback)
{
    int i = argv.IndexOf(name);
    return i >= 0 && i + 1 < argv.Count ? argv[i + 1] : fallback;
}
string qevm = Arg("--qevm", "qevm");
int rounds = int.Parse(Arg("--rounds", "25"), CultureInfo.InvariantCulture);
int[] clientCounts = [.. Arg("--clients", "1,8,32,128").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
var replyTimeout = TimeSpan.FromSeconds(60);
var inv = CultureInfo.InvariantCulture;

Console.WriteLine($"qevm serve load: {rounds} rounds of save/stop/load/cont per client, plus a non-reading client and a 64 MiB line ({Environment.ProcessorCount} cores)");
Console.WriteLine();
Console.WriteLine("| clients | rounds | replies | refused loads¹ | p50 ms | p99 ms | rounds/s | non-reading client | 64 MiB line |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---|---|");
int failures = 0;
foreach (int n in clientCounts)
{
    var dir = Directory.CreateTempSubdirectory("qevm-loadbench-").FullName;
    var socket = Path.Combine(dir, "qmp.sock");
    var start = new ProcessStartInfo(qevm) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in (string[])["serve", "--socket", socket]) start.ArgumentList.Add(a);
    using var server = Process.Start(start)!;
    var serverLog = new StringBuilder();
    server.ErrorDataReceived += (_, e) =>
    {
        if (e.Data is not null) lock (serverLog) serverLog.AppendLine(e.Data);
    };
    server.BeginErrorReadLine();
    server.BeginOutputReadLine();
    for (int i = 0; i < 200 && !File.Exists(socket); i++) await Task.Delay(50);

    // The client that stops reading: negotiates, then only its kernel buffers take events.
    var idle = await LineClient.ConnectAsync(socket);
    idle.Socket.ReceiveBufferSize = 4096;
    // The client with a line above the 64 MiB message limit: it should get one error and keep its connection.
    var big = Task.Run(async () =>
    {
        using var c = await LineClient.ConnectAsync(socket);
        var watch = Stopwatch.StartNew();
        var line = new byte[(64 << 20) + 64];
        Array.Fill(line, (byte)'x');
        "{\"execute\": \"query-status\", \"id\": \""u8.CopyTo(line);
        "\"}\n"u8.CopyTo(line.AsSpan(line.Length - 3));
        var send = c.SendAsync(line);
        var answer = await c.ReadAsync(TimeSpan.FromSeconds(120));
        while (answer["event"] is not null) answer = await c.ReadAsync(TimeSpan.FromSeconds(120));
        await send;
        var after = await c.ExecuteAsync("""{"execute": "query-status", "id": "after"}""", replyTimeout);
        return $"{(string?)answer["error"]?["desc"] ?? "answered (not refused)"} after {watch.Elapsed.TotalSeconds:F1} s; next reply {((string?)after["id"] == "after" ? "ok" : "lost")}";
    });

    var latencies = new List<double>[n];
    int refused = 0, replies = 0;
    var total = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, n).Select(k => Task.Run(async () =>
    {
        latencies[k] = new List<double>(rounds * 4);
        using var c = await LineClient.ConnectAsync(socket);
        var file = Path.Combine(dir, $"dev{k}.state");
        for (int r = 0; r < rounds; r++)
        {
            foreach (var command in (string[])
                     [$$$"""{"execute": "xen-save-devices-state", "arguments": {"filename": "{{{file}}}"}, "id": "s{{{r}}}"}""",
                      $$$"""{"execute": "stop", "id": "p{{{r}}}"}""",
                      $$$"""{"execute": "xen-load-devices-state", "arguments": {"filename": "{{{file}}}"}, "id": "l{{{r}}}"}""",
                      $$$"""{"execute": "cont", "id": "c{{{r}}}"}"""])
            {
                long t0 = Stopwatch.GetTimestamp();
                var answer = await c.ExecuteAsync(command, replyTimeout);
                latencies[k].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                string id = command[(command.LastIndexOf("\"id\": \"", StringComparison.Ordinal) + 7)..^2];
                if ((string?)answer["id"] != id) throw new InvalidOperationException($"reply to {id} carries id {answer["id"]}");
                Interlocked.Increment(ref replies);
                // Another client's cont between this client's stop and load: QEMU's refusal, still a reply.
                if (answer["error"] is not null) Interlocked.Increment(ref refused);
            }
        }
    })).ToArray();
    string outcome;
    try
    {
        await Task.WhenAll(workers);
        outcome = "ok";
    }
    catch (Exception e)
    {
        outcome = e.Message;
        failures++;
    }
    double seconds = total.Elapsed.TotalSeconds;
    string bigOutcome;
    try
    {
        bigOutcome = await big.WaitAsync(TimeSpan.FromSeconds(180));
    }
    catch (Exception e)
    {
        bigOutcome = "failed: " + e.Message;
        failures++;
    }
    string idleOutcome;
    lock (serverLog) idleOutcome = serverLog.ToString().Contains("stopped reading", StringComparison.Ordinal) ? "disconnected (queue full)" : "still connected (queue not full)";
    idle.Dispose();
    var all = latencies.Where(l => l is not null).SelectMany(l => l).Order().ToArray();
    double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
    Console.WriteLine(string.Create(inv, $"| {n} | {n * rounds} | {replies}/{n * rounds * 4} | {refused} | {P(0.50):F2} | {P(0.99):F2} | {n * rounds / seconds:F0} | {idleOutcome} | {bigOutcome} |"));
    if (outcome != "ok") Console.WriteLine($"  workers: {outcome}");
    server.Kill();
    await server.WaitForExitAsync();
    Directory.Delete(dir, recursive: true);
}
Console.WriteLine();
Console.WriteLine("¹ a load refused with \"Cannot update device state while vm is running\": another client's cont came between this client's stop and load.");
return failures == 0 ? 0 : 1;
