namespace Qevm.Tests.Interop;

/// <summary>
/// A real QEMU 7.2 (TCG, -nodefaults) writes a device-state file and a migration stream of a running guest;
/// Qevm reads both, and a second QEMU loads what <c>qevm convert</c> wrote. Needs qemu-system-x86_64: the
/// README's test command installs it, and without it these tests fail (they never skip).
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuInteropTests : IDisposable
{
    private static readonly string[] Machine = ["-M", "pc-i440fx-7.2", "-m", "16"];
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-interop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string DeviceState, string Stream) SaveRunningGuest(params string[] extra)
    {
        var dev = Path.Combine(_dir, "device.state");
        var mig = Path.Combine(_dir, "full.mig");
        using var qemu = QemuProcess.Start([.. Machine, .. extra]);
        Thread.Sleep(1000); // let SeaBIOS run: the guest is running while both files are written
        Assert.Contains("running", qemu.Execute("query-status").GetProperty("status").GetString(), StringComparison.Ordinal);
        qemu.SaveDevices(dev);
        qemu.MigrateToFile(mig, TimeSpan.FromSeconds(60));
        return (dev, mig);
    }

    [Fact]
    public void RunningGuest_BothFilesRead_AndConvertedStreamLoads()
    {
        var (dev, mig) = SaveRunningGuest();

        StreamInfo devInfo, migInfo;
        using (var s = File.OpenRead(dev)) devInfo = StreamInfo.Read(s);
        using (var s = File.OpenRead(mig)) migInfo = StreamInfo.Read(s);
        Assert.Equal(StreamKind.DeviceState, devInfo.Kind);
        Assert.True(devInfo.Footers);
        Assert.Null(devInfo.Trailer);
        Assert.Equal(StreamKind.Migration, migInfo.Kind);
        Assert.Equal("pc-i440fx-7.2", migInfo.Configuration!.Machine);
        Assert.Equal(16UL << 20, migInfo.Ram!.Blocks.Single(b => b.Name == "pc.ram").UsedLength);
        // The device sections are the same sections in both files (xen-save-devices-state skips only iterative handlers).
        var devSections = devInfo.Sections.Select(x => (x.Header.Idstr, x.Header.InstanceId, x.Header.VersionId)).ToList();
        var migFull = migInfo.Sections.Where(x => x.Type == RecordType.SectionFull).Select(x => (x.Header.Idstr, x.Header.InstanceId, x.Header.VersionId)).ToList();
        Assert.Equal(devSections, migFull);
        Assert.Contains(("globalstate", 0u, 1u), devSections);

        var converted = Path.Combine(_dir, "converted.mig");
        Assert.Equal(0, Qevm.Cli.Program.Run(["convert", mig, "-o", converted], TextWriter.Null, TextWriter.Null));
        Assert.Equal(File.ReadAllBytes(mig), File.ReadAllBytes(converted));

        using var dest = QemuProcess.Start([.. Machine, "-S", "-incoming", $"exec:cat '{converted}'"]);
        Assert.Equal("completed", dest.WaitForMigrationStatus(TimeSpan.FromSeconds(30), "completed", "failed"));
    }

    [Fact]
    public void CorruptFooter_QevmAndQemuAgree()
    {
        var (_, mig) = SaveRunningGuest();
        var bytes = File.ReadAllBytes(mig);
        var info = StreamInfo.Read(new MemoryStream(bytes));
        var rtc = info.Sections.First(s => s.Header.Idstr == "mc146818rtc");
        bytes[rtc.FooterOffset!.Value] = 0x00;
        var bad = Path.Combine(_dir, "bad.mig");
        File.WriteAllBytes(bad, bytes);

        var e = Assert.Throws<VmStateFormatException>(() => StreamInfo.Read(new MemoryStream(bytes)));
        Assert.Equal("Missing section footer for mc146818rtc", e.QemuMessage);

        // QEMU refuses the same file with the same words.
        var (completed, log) = QemuProcess.LoadIncoming(Machine, bad);
        Assert.False(completed);
        Assert.Contains(e.QemuMessage!, log, StringComparison.Ordinal);
    }
}
