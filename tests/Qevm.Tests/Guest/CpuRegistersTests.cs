using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// <c>qevm cpu</c> of an x86 guest in long mode (Debian's kernel on two <c>max</c> CPUs, with AVX, stopped after its
/// panic) shows the values of QEMU 7.2's <c>info registers</c> taken at the same pause, CPU by CPU; gdb reads the
/// same registers from <c>qevm export</c>'s ELF core, and <c>readelf -n</c> lists its notes.
/// </summary>
[Trait("Category", "Qemu")]
public sealed partial class CpuRegistersTests : IDisposable
{
    private static readonly string[] Gprs = ["RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"];
    private static readonly string[] Segments = ["ES", "CS", "SS", "DS", "FS", "GS", "LDT", "TR"];

    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-cpu-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LongModeGuest_CpuEqualsInfoRegistersAndGdb()
    {
        var kernel = Environment.GetEnvironmentVariable("QEVM_LINUX_KERNEL") is { Length: > 0 } k ? k
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "qevm", "kernel", "vmlinuz");
        Assert.True(File.Exists(kernel), $"no kernel at {kernel}: run `bash scripts/get-linux-kernel.sh` (scripts/test.sh does) or set QEVM_LINUX_KERNEL");
        var serial = Path.Combine(_dir, "serial.log");
        string[] info = [];
        var (_, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "linux", q => info = RunUntilPanic(q, serial),
            "-M", "pc-i440fx-7.2", "-cpu", "max", "-smp", "2", "-m", "128", "-kernel", kernel, "-append", "console=ttyS0 panic=0", "-serial", "file:" + serial);

        var cpus = JsonNode.Parse(Cli("cpu", mig, "--json"))!["cpus"]!.AsArray();
        Assert.Equal(2, cpus.Count);
        var text = Cli("cpu", mig);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(i, (int)cpus[i]!["index"]!);
            AssertEqualsInfoRegisters(info[i], cpus[i]!, text);
        }
        Assert.Contains(cpus, c => (bool)c!["halted"]!); // the CPU that did not panic waits in hlt

        // (b) gdb reads the same registers from the ELF core qevm writes (its thread 1 is CPU 0).
        var c0 = cpus[0]!;
        var elf = Path.Combine(_dir, "ours.elf");
        Cli("export", mig, "-o", elf, "--format", "elf");
        var gdb = GdbRegisters(ProgramRunner.Check("gdb", "-nx", "-batch", "-ex", "core-file " + elf, "-ex", "info registers"));
        foreach (var r in Gprs) Assert.Equal((ulong)c0[r.ToLowerInvariant()]!, gdb[r.ToLowerInvariant()]);
        Assert.Equal((ulong)c0["rip"]!, gdb["rip"]);
        Assert.Equal((ulong)c0["rflags"]!, gdb["eflags"]);
        foreach (var s in (string[])["cs", "ss", "ds", "es", "fs", "gs"]) Assert.Equal((ulong)c0[s]!["selector"]!, gdb[s]);
        // gdb 13 without the guest's executable shows no fs_base/gs_base (its default x86-64 description has none).
        if (gdb.TryGetValue("gs_base", out ulong gsBase)) Assert.Equal((ulong)c0["gs"]!["base"]!, gsBase);
        Assert.NotEqual(0UL, gdb["rsp"]);

        var notes = ProgramRunner.Check("readelf", "-n", elf);
        Assert.Equal(2, Regex.Matches(notes, @"CORE\s+0x00000150\s+NT_PRSTATUS").Count); // the x86-64 prstatus, 336 bytes
        Assert.Equal(2, Regex.Matches(notes, @"QEMU\s+0x000001b8").Count); // QEMUCPUState, 440 bytes
    }

    // (a) qevm cpu's values for one CPU equal those info registers printed, by value; its text repeats QEMU's lines.
    private static void AssertEqualsInfoRegisters(string hmp, JsonNode c, string text)
    {
        Assert.True((bool)c["long_mode"]!);

        var regs = Scalars(hmp);
        foreach (var r in Gprs) Assert.True(regs[r] == (ulong)c[r.ToLowerInvariant()]!, $"{r}: QEMU {regs[r]:x}, qevm {(ulong)c[r.ToLowerInvariant()]!:x}");
        Assert.Equal(regs["RIP"], (ulong)c["rip"]!);
        Assert.Equal(regs["RFL"], (ulong)c["rflags"]!);
        Assert.Equal(regs["CPL"], (ulong)c["cpl"]!);
        Assert.Equal(regs["HLT"] == 1, (bool)c["halted"]!);
        Assert.Equal(regs["A20"], ((ulong)c["a20_mask"]! >> 20) & 1);
        foreach (var (name, values) in SegmentLines(hmp))
        {
            var s = c[name.ToLowerInvariant()]!;
            Assert.Equal(values, new[] { (ulong)s["selector"]!, (ulong)s["base"]!, (ulong)s["limit"]!, (ulong)s["flags"]! & 0x00ffff00 });
        }
        Assert.Equal(Segments.Length, SegmentLines(hmp).Count);
        Assert.Equal(2, TableLines(hmp).Count); // GDT and IDT
        foreach (var (name, (b, limit)) in TableLines(hmp))
        {
            Assert.Equal(b, (ulong)c[name.ToLowerInvariant()]!["base"]!);
            Assert.Equal(limit, (ulong)c[name.ToLowerInvariant()]!["limit"]!);
        }
        foreach (var cr in (string[])["CR0", "CR2", "CR3", "CR4"]) Assert.Equal(regs[cr], (ulong)c[cr.ToLowerInvariant()]!);
        Assert.NotEqual(0UL, regs["CR3"]); // paging on: a value worth comparing
        foreach (var dr in (string[])["DR0", "DR1", "DR2", "DR3", "DR6", "DR7"]) Assert.Equal(regs[dr], (ulong)c[dr.ToLowerInvariant()]!);
        Assert.Equal(regs["EFER"], (ulong)c["efer"]!);
        Assert.Equal(regs["FCW"], (ulong)c["fcw"]!);
        Assert.Equal(regs["FSW"], (ulong)c["fsw"]!);
        Assert.Equal(regs["FTW"], (ulong)c["ftw"]!);
        Assert.Equal(regs["MXCSR"], (ulong)c["mxcsr"]!);
        var fpr = FprLines().Matches(hmp).Select(m => (Hex(m.Groups[2].Value), Hex(m.Groups[3].Value))).ToList();
        Assert.Equal(8, fpr.Count);
        Assert.Equal(fpr, c["st"]!.AsArray().Select(r => ((ulong)r!["mantissa"]!, (ulong)r["exponent"]!)));

        var ymm = YmmLines().Matches(hmp).ToList();
        Assert.Equal(16, ymm.Count); // XCR0 enables AVX: QEMU prints YMM0-15
        Assert.Equal(ymm.Select(m => m.Groups[4].Value + m.Groups[5].Value), c["xmm"]!.AsArray().Select(v => ((string)v!)[2..]));
        Assert.Equal(ymm.Select(m => m.Groups[2].Value + m.Groups[3].Value), c["ymm_high"]!.AsArray().Select(v => ((string)v!)[2..]));
        Assert.Contains(c["xmm"]!.AsArray(), v => (string)v! != "0x" + new string('0', 32)); // the kernel used the SSE registers

        // Every line of info registers, but for the descriptor words QEMU adds to segments ("DPL=0 CS64 [-RA]").
        foreach (var line in hmp.Split('\n').Select(l => DescriptorWords().Replace(l.TrimEnd(), "")).Where(l => l.Length > 0))
            Assert.Contains(line, text, StringComparison.Ordinal);
    }

    /// <summary>
    /// A guest paused in SeaBIOS (real mode, CS not 64-bit): qevm cpu prints QEMU's 32-bit layout, every line of
    /// info registers at the same pause.
    /// </summary>
    [Fact]
    public void SeaBiosGuest_CpuTextEqualsInfoRegisters()
    {
        string hmp = "";
        var (_, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "bios", q =>
        {
            q.Execute("cont");
            Thread.Sleep(1000);
            q.Execute("stop");
            hmp = q.Hmp("info registers");
        }, "-M", "pc-i440fx-7.2", "-m", "32");
        Assert.Contains("EIP=", hmp, StringComparison.Ordinal);
        Assert.DoesNotContain("RIP=", hmp, StringComparison.Ordinal);
        var text = Cli("cpu", mig);
        var lines = hmp.Split('\n').Select(l => DescriptorWords().Replace(l.TrimEnd(), "")).Where(l => l.Length > 0).ToList();
        Assert.True(lines.Count > 25, hmp);
        foreach (var line in lines) Assert.Contains(line, text, StringComparison.Ordinal);
        var c = JsonNode.Parse(Cli("cpu", mig, "--json"))!["cpus"]![0]!;
        Assert.False((bool)c["long_mode"]!);
        Assert.Equal(Scalars(hmp)["EIP"], (ulong)c["rip"]!);
        Assert.NotEqual(0xfff0UL, (ulong)c["rip"]!); // SeaBIOS ran: not the reset vector
    }

    // The kernel's panic reached (the ELF tests' wait), then each CPU's registers as HMP shows them.
    private static string[] RunUntilPanic(QemuProcess q, string serial)
    {
        QemuElfExportTests.RunUntilPanic(q, serial);
        return [q.Hmp("info registers", 0), q.Hmp("info registers", 1)];
    }

    private static string Cli(params string[] args)
    {
        var output = new StringWriter();
        var err = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(args, output, err) == 0, err.ToString());
        return output.ToString();
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    // NAME=HEX (QEMU pads short names: "R8 =").
    private static Dictionary<string, ulong> Scalars(string text)
    {
        var d = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (Match m in ScalarPairs().Matches(text)) d.TryAdd(m.Groups[1].Value, Hex(m.Groups[2].Value));
        return d;
    }

    private static List<(string Name, ulong[] Values)> SegmentLines(string text) =>
        SegmentLine().Matches(text).Select(m => (m.Groups[1].Value, new[] { Hex(m.Groups[2].Value), Hex(m.Groups[3].Value), Hex(m.Groups[4].Value), Hex(m.Groups[5].Value) })).ToList();

    private static List<(string Name, (ulong Base, ulong Limit) Value)> TableLines(string text) =>
        TableLine().Matches(text).Select(m => (m.Groups[1].Value, (Hex(m.Groups[2].Value), Hex(m.Groups[3].Value)))).ToList();

    // gdb's "name  0xHEX  natural" lines.
    private static Dictionary<string, ulong> GdbRegisters(string text)
    {
        var d = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (Match m in GdbLine().Matches(text)) d[m.Groups[1].Value] = Hex(m.Groups[2].Value);
        Assert.True(d.ContainsKey("rip"), "gdb printed no registers:\n" + text);
        return d;
    }

    [GeneratedRegex(@"\b([A-Z][A-Z0-9]*) ?=([0-9a-f]+)\b")]
    private static partial Regex ScalarPairs();

    [GeneratedRegex(@"^(ES|CS|SS|DS|FS|GS|LDT|TR) *=([0-9a-f]{4}) ([0-9a-f]+) ([0-9a-f]{8}) ([0-9a-f]{8})", RegexOptions.Multiline)]
    private static partial Regex SegmentLine();

    [GeneratedRegex(@"^(GDT|IDT)= +([0-9a-f]+) ([0-9a-f]{8})", RegexOptions.Multiline)]
    private static partial Regex TableLine();

    [GeneratedRegex(@"FPR(\d)=([0-9a-f]{16}) ([0-9a-f]{4})")]
    private static partial Regex FprLines();

    [GeneratedRegex(@"YMM(\d\d)=([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16})")]
    private static partial Regex YmmLines();

    [GeneratedRegex(@" DPL=.*$")]
    private static partial Regex DescriptorWords();

    [GeneratedRegex(@"^(\w+)\s+0x([0-9a-f]+)", RegexOptions.Multiline)]
    private static partial Regex GdbLine();
}
