using System.Diagnostics;
using Qevm.Engine;
using Qevm.Engine.Devices;

namespace Qevm.Tests.Engine;

/// <summary>
/// A file saved with the trailer decodes without any other schema: QEMU 7.2's <c>analyze-migration.py</c> reads it,
/// and <c>qevm dump --format analyze</c> prints the same. The script comes from scripts/test.sh (QEVM_ANALYZE_MIGRATION).
/// </summary>
public sealed class TrailerInteropTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-engine-trailer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task SavedWithTrailer_AnalyzeMigrationReadsIt_AndDumpAgrees()
    {
        var machine = new SampleMachine();
        machine.Rtc.State.CmosIndex = 0x0E;
        machine.Rtc.State.BaseRtc = 0x1122334455667788;
        machine.Pit.State.Channels[2].Mode = 3;
        var file = Path.Combine(_dir, "dev.state");
        AtomicFile.Write(file, s => machine.Registry.SaveDeviceState(s, new SaveOptions { Trailer = true }));

        var script = Environment.GetEnvironmentVariable("QEVM_ANALYZE_MIGRATION");
        Assert.False(string.IsNullOrEmpty(script), "QEVM_ANALYZE_MIGRATION is not set: run the tests with scripts/test.sh, which fetches analyze-migration.py");
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[script!, "-f", file, "-d", "state"]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var theirs = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, await stderr);
        Assert.Contains("\"base_rtc\": \"0x1122334455667788\"", theirs, StringComparison.Ordinal);
        Assert.Contains("\"cmos_index\": \"0x0e\"", theirs, StringComparison.Ordinal);

        var o = new StringWriter();
        var e = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(["dump", file, "--format", "analyze"], o, e) == 0, e.ToString());
        Assert.Equal(theirs, o.ToString());
    }
}
