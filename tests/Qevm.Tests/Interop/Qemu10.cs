namespace Qevm.Tests.Interop;

/// <summary>
/// The QEMU 10.0.2 that scripts/get-qemu10.sh unpacks beside the installed 7.2 (the test command exports
/// <c>QEVM_QEMU10_ENV</c>, the path of its env.sh). Its module folder is passed to each QEMU 10 process only: in the
/// test process's environment it would make the 7.2 processes load 10.0's modules.
/// </summary>
internal static class Qemu10
{
    private static readonly Lazy<(string Binary, string ModuleDir, string[] Firmware)> Setup = new(Load);

    /// <summary>Starts QEMU 10's qemu-system-x86_64 with its own modules and firmware (-L), then <paramref name="extraArgs"/>.</summary>
    public static QemuProcess Start(IEnumerable<string> extraArgs)
    {
        var (binary, moduleDir, firmware) = Setup.Value;
        return QemuProcess.Start([.. firmware, .. extraArgs], binary, new Dictionary<string, string> { ["QEMU_MODULE_DIR"] = moduleDir });
    }

    /// <summary>Loads <paramref name="file"/> with <c>-incoming</c> into QEMU 10 (see <see cref="QemuProcess.LoadIncoming(IEnumerable{string}, string)"/>).</summary>
    public static (bool Completed, string Log) LoadIncoming(IEnumerable<string> machineArgs, string file) =>
        QemuProcess.LoadIncoming(machineArgs, file, Start);

    /// <summary>Runs QEMU 10 to its end without QMP (<c>-dump-vmstate</c>), with its modules and firmware.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (binary, moduleDir, firmware) = Setup.Value;
        return ProgramRunner.Run(binary, [.. firmware, .. args], new Dictionary<string, string> { ["QEMU_MODULE_DIR"] = moduleDir });
    }

    private static (string, string, string[]) Load()
    {
        string? envFile = Environment.GetEnvironmentVariable("QEVM_QEMU10_ENV");
        if (string.IsNullOrEmpty(envFile) || !File.Exists(envFile))
            throw new InvalidOperationException("QEMU 10 is not unpacked: run `bash scripts/get-qemu10.sh` and set QEVM_QEMU10_ENV to the env.sh it prints (scripts/test.sh does both).");
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(envFile))
        {
            if (!line.StartsWith("export ", StringComparison.Ordinal)) continue;
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            vars[line[7..eq]] = line[(eq + 1)..].Trim('"');
        }
        string binary = Path.Combine(vars["QEMU10_BIN"], "qemu-system-x86_64");
        return (binary, vars["QEMU_MODULE_DIR"], vars["QEMU10_FIRMWARE_ARGS"].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
