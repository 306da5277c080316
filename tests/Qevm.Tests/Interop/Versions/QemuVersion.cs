namespace Qevm.Tests.Interop.Versions;

/// <summary>
/// One of the four QEMU versions the suite runs side by side (5.2 and 11.1 in chroots, 7.2 installed, 10.0 unpacked),
/// behind one shape: start with QMP, load a file with <c>-incoming</c>, write <c>-dump-vmstate</c>, run its qemu-img.
/// </summary>
internal sealed class QemuVersion
{
    private readonly Func<IEnumerable<string>, QemuProcess> _start;
    private readonly Func<string[], (int Code, string Out, string Err)> _run;
    private readonly Func<string[], (int Code, string Out, string Err)> _qemuImg;

    private QemuVersion(string name, string newestPc, string newestQ35, Func<IEnumerable<string>, QemuProcess> start,
        Func<string[], (int, string, string)> run, Func<string[], (int, string, string)> qemuImg)
    {
        Name = name;
        NewestPc = newestPc;
        NewestQ35 = newestQ35;
        _start = start;
        _run = run;
        _qemuImg = qemuImg;
    }

    /// <summary>"5.2", "7.2", "10.0" or "11.1".</summary>
    public string Name { get; }

    /// <summary>What <c>-M pc</c> means in this version.</summary>
    public string NewestPc { get; }

    /// <summary>What <c>-M q35</c> means in this version.</summary>
    public string NewestQ35 { get; }

    public static QemuVersion V52 { get; } = FromChroot(() => QemuChroot.Qemu52, "5.2");

    public static QemuVersion V72 { get; } = new("7.2", "pc-i440fx-7.2", "pc-q35-7.2", args => QemuProcess.Start(args),
        args => ProgramRunner.Run(QemuProcess.DefaultBinary, args), args => ProgramRunner.Run("qemu-img", args));

    public static QemuVersion V100 { get; } = new("10.0", "pc-i440fx-10.0", "pc-q35-10.0", Qemu10.Start, Qemu10.Run,
        args => ProgramRunner.Run("qemu-img", args));

    public static QemuVersion V111 { get; } = FromChroot(() => QemuChroot.Qemu111, "11.1");

    /// <summary>The four, oldest first.</summary>
    public static IReadOnlyList<QemuVersion> All { get; } = [V52, V72, V100, V111];

    public static QemuVersion Named(string name) => All.Single(v => v.Name == name);

    public QemuProcess Start(IEnumerable<string> args) => _start(args);

    /// <summary>Loads <paramref name="file"/> with <c>-S -incoming exec:cat FILE</c>: completed, or QEMU's output.</summary>
    public (bool Completed, string Log) LoadIncoming(IEnumerable<string> machineArgs, string file) =>
        QemuProcess.LoadIncoming(machineArgs, file, _start);

    /// <summary>Writes <c>-dump-vmstate</c> for <paramref name="machineArgs"/> (QEMU 5.2 needs <c>-nodefaults -display none</c>).</summary>
    public void DumpVmState(IEnumerable<string> machineArgs, string path)
    {
        var (code, o, e) = _run(["-nodefaults", "-display", "none", .. machineArgs, "-dump-vmstate", path]);
        Assert.True(code == 0 && File.Exists(path), $"QEMU {Name} -dump-vmstate exited {code}: {e}{o}");
    }

    /// <summary>This version's qemu-img (5.2 and 11.1: the chroot's; 10.0: the installed 7.2's, which has no other).</summary>
    public string QemuImg(params string[] args)
    {
        var (code, o, e) = _qemuImg(args);
        Assert.True(code == 0, $"qemu-img {string.Join(' ', args)} ({Name}) exited {code}: {e}{o}");
        return o;
    }

    public override string ToString() => Name;

    private static QemuVersion FromChroot(Func<QemuChroot> chroot, string name) => new(name, $"pc-i440fx-{name}", $"pc-q35-{name}",
        args => chroot().Start(args), args => chroot().Run("qemu-system-x86_64", args), args => chroot().Run("qemu-img", args));
}
