namespace Qevm.Tests.Interop;

/// <summary>
/// A QEMU of another Debian release in a minimal chroot made by scripts/get-qemu-chroot.sh: 5.2 (bullseye, whose
/// folder the test command exports as <c>QEVM_QEMU52_CHROOT</c>) and 11.1 (sid, <c>QEVM_QEMU111_CHROOT</c>).
/// /proc, /dev and /tmp are bind-mounted inside (scripts/qemu-in-chroot.sh), so the QMP socket and the stream paths
/// under /tmp are the same inside and out. Needs root, as the test command runs.
/// </summary>
internal sealed class QemuChroot
{
    private static readonly Lazy<QemuChroot> Lazy52 = new(() => Load("QEVM_QEMU52_CHROOT", "bullseye", "5.2"));
    private static readonly Lazy<QemuChroot> Lazy111 = new(() => Load("QEVM_QEMU111_CHROOT", "sid", "11.1"));

    private QemuChroot(string directory, string version)
    {
        Directory = directory;
        Version = version;
    }

    /// <summary>QEMU 5.2.0 from Debian bullseye.</summary>
    public static QemuChroot Qemu52 => Lazy52.Value;

    /// <summary>QEMU 11.1 from Debian sid.</summary>
    public static QemuChroot Qemu111 => Lazy111.Value;

    /// <summary>The chroot's root folder.</summary>
    public string Directory { get; }

    /// <summary>"5.2" or "11.1".</summary>
    public string Version { get; }

    /// <summary>Starts the chroot's qemu-system-x86_64 with QMP (see <see cref="QemuProcess.Start"/>).</summary>
    public QemuProcess Start(IEnumerable<string> extraArgs) =>
        QemuProcess.Start(extraArgs, launcher: ["chroot", Directory, "qemu-system-x86_64"]);

    /// <summary>Loads <paramref name="file"/> with <c>-incoming</c> into the chroot's QEMU (see <see cref="QemuProcess.LoadIncoming(IEnumerable{string}, string)"/>).</summary>
    public (bool Completed, string Log) LoadIncoming(IEnumerable<string> machineArgs, string file) =>
        QemuProcess.LoadIncoming(machineArgs, file, Start);

    /// <summary>Runs a program of the chroot (qemu-system-x86_64 -dump-vmstate, qemu-img) to its end.</summary>
    public (int Code, string Out, string Err) Run(string program, params string[] args) =>
        ProgramRunner.Run("chroot", [Directory, program, .. args]);

    private static QemuChroot Load(string variable, string suite, string version)
    {
        string? dir = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(dir) || !File.Exists(Path.Combine(dir, "usr/bin/qemu-system-x86_64")))
            throw new InvalidOperationException($"QEMU {version} is not set up: run `bash scripts/get-qemu-chroot.sh {suite}` and set {variable} to the folder it prints (scripts/test.sh does both).");
        // The mounts are made once and kept; the script is idempotent.
        string script = Path.Combine(Corpus.CorpusFiles.RepoRoot, "scripts", "qemu-in-chroot.sh");
        var (code, _, err) = ProgramRunner.Run("bash", script, dir, "true");
        if (code != 0) throw new InvalidOperationException($"cannot mount /proc, /dev and /tmp in {dir}: {err}");
        return new QemuChroot(dir, version);
    }
}
