using Qevm.Tests.Interop;

namespace Qevm.Tests.Schema;

/// <summary>
/// What the schema diff tests compare, made once per test class with the real QEMUs: each version's
/// <c>-dump-vmstate</c> of <c>pc-i440fx-5.2</c> (the machine type all four know) and a stream of a stopped
/// 32 MiB guest of that machine type migrated to a file.
/// </summary>
public sealed class SchemaDiffQemus : IDisposable
{
    /// <summary>The machine type every version knows.</summary>
    public const string Machine = "pc-i440fx-5.2";

    /// <summary>The versions, oldest first.</summary>
    public static readonly string[] Versions = ["5.2", "7.2", "10.0", "11.1"];

    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("qevm-schemadiff-").FullName;
    private readonly Dictionary<string, Lazy<string>> _dumps = [];
    private readonly Dictionary<string, Lazy<string>> _streams = [];

    /// <summary>Creates the (lazy) files.</summary>
    public SchemaDiffQemus()
    {
        foreach (var v in Versions)
        {
            _dumps[v] = new Lazy<string>(() => MakeDump(v));
            _streams[v] = new Lazy<string>(() => MakeStream(v));
        }
    }

    /// <summary>A folder for the test's own files (under /tmp, which the chroots see too).</summary>
    public string Directory => _dir;

    /// <summary>The <c>-dump-vmstate</c> output of <paramref name="version"/> for <see cref="Machine"/>.</summary>
    public string Dump(string version) => _dumps[version].Value;

    /// <summary>A stream <paramref name="version"/> wrote of a stopped <see cref="Machine"/> guest.</summary>
    public string Stream(string version) => _streams[version].Value;

    /// <summary>Starts <paramref name="version"/>'s QEMU with QMP.</summary>
    internal static QemuProcess Start(string version, IEnumerable<string> args) => version switch
    {
        "5.2" => QemuChroot.Qemu52.Start(args),
        "7.2" => QemuProcess.Start(args),
        "10.0" => Qemu10.Start(args),
        "11.1" => QemuChroot.Qemu111.Start(args),
        _ => throw new ArgumentException(version),
    };

    /// <summary>Loads <paramref name="file"/> into <paramref name="version"/>'s QEMU with <c>-incoming</c>: completed, or QEMU's output.</summary>
    public static (bool Completed, string Log) LoadIncoming(string version, string file, params string[] extraArgs) =>
        QemuProcess.LoadIncoming(["-M", Machine, "-m", "32", .. extraArgs], file, args => Start(version, args));

    private string MakeDump(string version)
    {
        string path = Path.Combine(_dir, $"dump-{version}.json");
        // -nodefaults -display none: 5.2's default VNC display fails without a resolvable localhost.
        string[] args = ["-M", Machine, "-nodefaults", "-display", "none", "-dump-vmstate", path];
        var (code, _, err) = version switch
        {
            "5.2" => QemuChroot.Qemu52.Run("qemu-system-x86_64", args),
            "7.2" => ProgramRunner.Run(QemuProcess.DefaultBinary, args),
            "10.0" => Qemu10.Run(args),
            "11.1" => QemuChroot.Qemu111.Run("qemu-system-x86_64", args),
            _ => throw new ArgumentException(version),
        };
        Assert.True(code == 0 && File.Exists(path), $"QEMU {version} -dump-vmstate failed ({code}): {err}");
        return path;
    }

    private string MakeStream(string version)
    {
        string path = Path.Combine(_dir, $"guest-{version}.mig");
        using var q = Start(version, ["-M", Machine, "-m", "32", "-S"]);
        q.MigrateToFile(path, TimeSpan.FromSeconds(120));
        return path;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
