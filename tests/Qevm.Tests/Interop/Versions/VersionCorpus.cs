namespace Qevm.Tests.Interop.Versions;

/// <summary>
/// The files one QEMU version writes, made once per test class into a temp folder (what
/// scripts/make-corpus-versions.sh writes for users): a running pc guest's stream and its device-state file, a q35
/// guest's stream and device-state file, a guest with several PCI and USB devices, and a savevm in a qcow2 image
/// (its VM state also written out as a stream by <c>qevm convert --snapshot</c>). 32 MiB guests, two CPUs.
/// </summary>
public abstract class VersionCorpus : IDisposable
{
    /// <summary>virtio-net, e1000, an xHCI controller with a USB tablet, virtio-rng and virtio-balloon.</summary>
    internal static readonly string[] RichDevices =
    [
        "-device", "virtio-net-pci,netdev=n0", "-netdev", "user,id=n0",
        "-device", "e1000,netdev=n1", "-netdev", "user,id=n1",
        "-device", "qemu-xhci,id=xhci", "-device", "usb-tablet,bus=xhci.0",
        "-device", "virtio-rng-pci", "-device", "virtio-balloon-pci",
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-versions-").FullName;

    internal VersionCorpus(QemuVersion version)
    {
        Version = version;
        Directory.CreateDirectory(_dir);
        Make("pc", ["-M", version.NewestPc], running: true, deviceState: true);
        Make("q35", ["-M", version.NewestQ35], running: false, deviceState: true);
        Make("devices", ["-M", version.NewestPc, .. RichDevices], running: false, deviceState: false);
        MakeSavevm();
    }

    internal QemuVersion Version { get; }

    /// <summary>The folder holding the files.</summary>
    public string Dir => _dir;

    /// <summary>Each stream's QEMU arguments (without <c>-S -incoming</c>), by name: pc, q35, devices.</summary>
    internal Dictionary<string, string[]> MachineArgs { get; } = [];

    /// <summary>The migration streams: pc.mig, q35.mig, devices.mig, and savevm.mig (the qcow2 snapshot's VM state).</summary>
    internal static readonly string[] Streams = ["pc.mig", "q35.mig", "devices.mig", "savevm.mig"];

    /// <summary>The device-state files, each with the stream of the same guest.</summary>
    internal static readonly (string File, string Stream)[] DeviceStates = [("pc.device.state", "pc.mig"), ("q35.device.state", "q35.mig")];

    public string PathOf(string file) => Path.Combine(_dir, file);

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    // running: the guest runs while the live migration copies its RAM (as in a real migration);
    // otherwise it ran briefly and is stopped.
    private void Make(string name, string[] machine, bool running, bool deviceState)
    {
        string[] args = [.. machine, "-m", "32", "-smp", "2"];
        MachineArgs[name] = args;
        using var q = Version.Start(args);
        Thread.Sleep(700); // SeaBIOS runs
        if (!running) q.Execute("stop");
        if (deviceState) q.SaveDevices(PathOf(name + ".device.state"));
        q.MigrateToFile(PathOf(name + ".mig"), TimeSpan.FromSeconds(60));
    }

    private void MakeSavevm()
    {
        var disk = PathOf("disk.qcow2");
        Version.QemuImg("create", "-q", "-f", "qcow2", disk, "16M");
        using (var q = Version.Start(["-M", Version.NewestPc, "-m", "32", "-smp", "2", "-drive", $"file={disk},if=ide,format=qcow2"]))
        {
            Thread.Sleep(700);
            q.Execute("stop");
            string said = q.Hmp("savevm snap1");
            Assert.True(said.Trim().Length == 0, $"QEMU {Version.Name} savevm: {said}");
            q.Execute("quit");
        }
        var (code, _, err) = Cli.QevmCli.Run("convert", disk, "--snapshot", "snap1", "-o", PathOf("savevm.mig"));
        Assert.True(code == 0, err);
    }
}

/// <summary>QEMU 5.2's files.</summary>
public sealed class Qemu52Corpus() : VersionCorpus(QemuVersion.V52);

/// <summary>QEMU 11.1's files.</summary>
public sealed class Qemu111Corpus() : VersionCorpus(QemuVersion.V111);
