using System.Globalization;

namespace Qevm.Tests.Interop;

/// <summary>
/// libvirt from Debian's packages, as root: <c>virtlogd -d</c> and <c>libvirtd -d</c> with pid files in a private
/// folder, started once per test class and stopped by pid at the end. <c>/etc/libvirt/qemu.conf</c> is restored.
/// </summary>
public sealed class LibvirtDaemons : IDisposable
{
    private const string QemuConf = "/etc/libvirt/qemu.conf";
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-libvirtd-").FullName;
    private readonly string? _originalConf;
    private int? _virtlogd;
    private int? _libvirtd;

    public LibvirtDaemons()
    {
        // Without a save_image_format line left by a run that was cut off: each test sets its own.
        if (File.Exists(QemuConf))
            _originalConf = string.Join('\n', File.ReadAllText(QemuConf).Split('\n').Where(l => !l.StartsWith("save_image_format = ", StringComparison.Ordinal)));
        // Save images are written by libvirtd (root) and read by the qemu user on restore.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_dir, (UnixFileMode)0x1ed); // 0755
    }

    /// <summary>A folder for images (readable by libvirt's QEMU user).</summary>
    /// <summary>Runs virsh against the system daemons this fixture started; a failure fails the test.</summary>
    public static string Virsh(params string[] args) => ProgramRunner.Check("virsh", ["-c", "qemu:///system", .. args]);

    /// <summary>A small TCG x86 domain (32 MiB, one CPU) with no devices but the machine's own.</summary>
    public static string DomainXml(string name, string machine) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>32</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
          <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
        </domain>
        """;

    public string Folder => _dir;

    /// <summary>(Re)starts libvirtd with <c>save_image_format</c> set (libvirtd reads qemu.conf when it starts).</summary>
    public void Start(string saveImageFormat)
    {
        Assert.True(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || GetUid() == 0,
            "the libvirt tests run libvirtd as root");
        Assert.True(_originalConf is not null, $"{QemuConf} is missing: install libvirt-daemon-system (scripts/test.sh does)");
        StopLibvirtd();
        File.WriteAllText(QemuConf, _originalConf + $"\nsave_image_format = \"{saveImageFormat}\"\n");
        if (_virtlogd is null)
        {
            var pidFile = Path.Combine(_dir, "virtlogd.pid");
            ProgramRunner.Check("virtlogd", "-d", "-p", pidFile);
            _virtlogd = ReadPid(pidFile);
        }
        var lpid = Path.Combine(_dir, "libvirtd.pid");
        ProgramRunner.Check("libvirtd", "-d", "-p", lpid);
        _libvirtd = ReadPid(lpid);
        // Ready when the socket answers.
        for (int i = 0; i < 100; i++)
        {
            if (ProgramRunner.Run("virsh", "-c", "qemu:///system", "version").Code == 0) return;
            Thread.Sleep(100);
        }
        Assert.Fail("libvirtd did not answer in 10 s");
    }

    private static uint GetUid() => uint.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static int ReadPid(string file)
    {
        for (int i = 0; i < 50 && !File.Exists(file); i++) Thread.Sleep(100);
        return int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);
    }

    private static void Stop(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            p.Kill();
            p.WaitForExit(10_000);
        }
        catch (ArgumentException)
        {
            // already gone
        }
    }

    private void StopLibvirtd()
    {
        if (_libvirtd is { } pid) Stop(pid);
        _libvirtd = null;
    }

    public void Dispose()
    {
        StopLibvirtd();
        if (_virtlogd is { } v) Stop(v);
        if (_originalConf is not null) File.WriteAllText(QemuConf, _originalConf);
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>
/// The test classes that run the system libvirtd (each restarts it with its own save_image_format): one collection,
/// so that they never run at the same time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LibvirtCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "libvirt";
}
