using System.Text.Json.Nodes;
using Qevm.Engine;
using Qevm.Engine.Devices;

namespace Qevm.Tests.Interop;

/// <summary>
/// Real QEMU 7.2 loads what the engine writes: the sample devices' file, given to a never-run guest with
/// <c>-global migration.send-configuration=off -incoming "exec:cat FILE"</c> (ISSUE-NOTES, issue 5), and QEMU's
/// <c>info pic</c> shows the values set in C#.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuLoadsEngineStateTests : IDisposable
{
    private static readonly string[] Machine = ["-M", "pc-i440fx-7.2", "-m", "16", "-global", "migration.send-configuration=off"];
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-engine-qemu-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EngineFile_QemuLoadsIt_AndShowsThePicRegisters(bool trailer)
    {
        var machine = new SampleMachine();
        machine.Master.State.Imr = 0x5A;
        machine.Master.State.IrqBase = 0x08;
        machine.Slave.State.IrqBase = 0x68;
        machine.Slave.State.Elcr = 0x0C;
        var file = Path.Combine(_dir, "engine.state");
        AtomicFile.Write(file, s => machine.Registry.SaveDeviceState(s, new SaveOptions { Trailer = trailer }));

        var q = QemuProcess.Start([.. Machine, "-S", "-incoming", $"exec:cat '{file}'"]);
        string pic;
        try
        {
            Assert.Equal("completed", q.WaitForMigrationStatus(TimeSpan.FromSeconds(30), "completed", "failed"));
            pic = q.Execute("human-monitor-command", new JsonObject { ["command-line"] = "info pic" }).GetString() ?? "";
        }
        finally
        {
            q.Dispose();
        }
        Assert.Contains("pic0: irr=00 imr=5a isr=00 hprio=0 irq_base=08", pic, StringComparison.Ordinal);
        Assert.Contains("pic1: irr=00 imr=00 isr=00 hprio=0 irq_base=68 rr_sel=0 elcr=0c", pic, StringComparison.Ordinal);
        // QEMU reads and drops a trailer; without one it only warns (the log is complete once QEMU exited).
        Assert.Equal(!trailer, q.Log.Contains("Expected vmdescription section, but got 0", StringComparison.Ordinal));
    }
}
