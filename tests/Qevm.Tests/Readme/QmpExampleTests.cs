using Qevm.Qmp;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Readme;

/// <summary>README's QMP client example, as written there, run against a real QEMU 7.2.</summary>
[Trait("Category", "Qemu")]
public sealed class QmpExampleTests
{
    // The README's statements; Console is the test's writer.
    private static async Task RunAsync(string socket, TextWriter Console)
    {
        await using var qmp = await QmpClient.ConnectAsync(socket);            // a unix socket path, or "tcp:127.0.0.1:4444"
        Console.WriteLine(qmp.Greeting.Version);                               // 7.2.22 (Debian ...)
        using var events = qmp.Subscribe();
        await qmp.StopAsync();
        await events.WaitForAsync("STOP");
        await qmp.SaveDevicesStateAsync("devices.state");                      // through a temporary file and a rename
        var info = await qmp.MigrateToFileAsync("guest.mig", stopFirst: true,
            progress: new Progress<MigrationInfo>(i => Console.WriteLine($"{i.Status} {i.Ram?.Remaining}")));
        Console.WriteLine($"{info.TotalTimeMs} ms, downtime {info.DowntimeMs} ms, {info.Ram!.Normal} pages");
        try { await qmp.ExecuteAsync("no-such-command"); }
        catch (QmpException e) { Console.WriteLine($"{e.ErrorClass}: {e.Description}"); }
    }

    [Fact]
    public async Task ReadmeExample_RunsAgainstQemu()
    {
        var dir = Directory.CreateTempSubdirectory("qevm-readme-qmp-").FullName;
        try
        {
            string socket = Path.Combine(dir, "qmp.sock");
            using var qemu = QemuProcess.Start(["-M", "pc-i440fx-7.2", "-m", "16", "-qmp", $"unix:{socket},server=on,wait=off"]);
            var text = new StringWriter();
            await RunAsync(socket, TextWriter.Synchronized(text));
            var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.StartsWith("7.2.", lines[0], StringComparison.Ordinal);
            Assert.Contains("CommandNotFound: The command no-such-command has not been found", lines);
            Assert.Contains(lines, l => l.Contains(" ms, downtime ", StringComparison.Ordinal));
            using (var devices = File.OpenRead("devices.state")) Assert.Equal(StreamKind.DeviceState, StreamInfo.Read(devices).Kind);
            using (var guest = File.OpenRead("guest.mig")) Assert.Equal(StreamKind.Migration, StreamInfo.Read(guest).Kind);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            File.Delete("devices.state");
            File.Delete("guest.mig");
        }
    }
}
