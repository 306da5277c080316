using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// An aarch64 <c>virt</c> guest (QEMU 7.2, two cortex-a57, 64 MiB) whose first CPU runs a few instructions that set
/// general, FP/SIMD and status registers (the second stays powered off), then paused and written by QEMU twice (<c>dump-guest-memory</c>, paging off, and
/// <c>migrate</c>): the stream's layout, ELF core and registers equal QEMU's.
/// </summary>
[Trait("Category", "Qemu")]
public sealed partial class ArmVirtGuestTests : IDisposable
{
    private const ulong LoopAddress = 0x40080000 + 4 * 19; // QEMU loads a raw aarch64 image at RAM + 0x80000

    // Assembled with llvm-mc -triple=aarch64 (the words are little-endian instructions).
    private static readonly uint[] Kernel =
    [
        0xd2e22221, // movz x1, #0x1111, lsl #48
        0xf2844441, // movk x1, #0x2222
        0xd2866662, // movz x2, #0x3333
        0xd2a00603, // movz x3, #0x30, lsl #16
        0xd5181043, // msr cpacr_el1, x3       (FP/SIMD on at EL1)
        0xd5033fdf, // isb
        0x9e670020, // fmov d0, x1
        0x9eaf0040, // fmov v0.d[1], x2
        0x9e67005f, // fmov d31, x2
        0xd2a06004, // movz x4, #0x0300, lsl #16
        0xd51b4404, // msr fpcr, x4            (DN, FZ)
        0xd2a10005, // movz x5, #0x0800, lsl #16
        0xd51b4425, // msr fpsr, x5            (QC)
        0xd2880006, // movz x6, #0x4000
        0xf2a80006, // movk x6, #0x4000, lsl #16
        0x910000df, // mov sp, x6
        0xd297ddfe, // movz x30, #0xbeef
        0xd2ac0007, // movz x7, #0x6000, lsl #16
        0xd51b4207, // msr nzcv, x7            (Z, C)
        0x14000000, // b .
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-arm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Virt_LayoutExportAndRegistersEqualQemus()
    {
        var kernel = Path.Combine(_dir, "kernel.bin");
        File.WriteAllBytes(kernel, Kernel.SelectMany(w => BitConverter.GetBytes(w)).ToArray());
        string hmp = "";
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "virt", "qemu-system-aarch64", q => hmp = RunToLoop(q),
            "-M", "virt", "-cpu", "cortex-a57", "-smp", "2", "-m", "64", "-kernel", kernel);

        // The layout: mach-virt.ram at 0x40000000, QEMU's only PT_LOAD.
        var qemu = ElfCoreFile.Read(elf);
        var loads = qemu.ProgramHeaders.Where(p => p.Type == ElfProgramHeader.Load).Select(p => (p.PhysicalAddress, p.MemorySize)).ToList();
        Assert.Equal([(0x40000000UL, 64UL << 20)], loads);
        var map = JsonNode.Parse(Cli("memory", "map", mig, "--json"))!;
        Assert.Equal("virt", (string?)map["machine"]);
        Assert.Equal(loads, map["ranges"]!.AsArray().Select(r => ((ulong)r!["address"]!, (ulong)r["length"]!)));
        Assert.Equal("mach-virt.ram", (string?)map["ranges"]![0]!["block"]);

        // The ELF core: EM_AARCH64, QEMU's header, program headers, notes and memory, so the whole file.
        var ours = Path.Combine(_dir, "ours.elf");
        Cli("export", mig, "-o", ours, "--format", "elf");
        var mine = ElfCoreFile.Read(ours);
        Assert.Equal(183, mine.Machine);
        Assert.Equal(qemu.Header, mine.Header);
        Assert.Equal(qemu.ProgramHeaders.Select(p => p.Bytes), mine.ProgramHeaders.Select(p => p.Bytes));
        var q = File.ReadAllBytes(elf);
        var m = File.ReadAllBytes(ours);
        var note = qemu.ProgramHeaders[0];
        Assert.Equal(ElfProgramHeader.Note, note.Type);
        Assert.Equal(2 * (20 + 392 + 20 + 528), (int)note.FileSize); // per CPU: NT_PRSTATUS, NT_PRFPREG
        Assert.Equal(q.AsSpan((int)note.Offset, (int)note.FileSize).ToArray(), m.AsSpan((int)note.Offset, (int)note.FileSize).ToArray());
        var load = qemu.ProgramHeaders[1];
        Assert.True(q.AsSpan((int)load.Offset, (int)load.FileSize).SequenceEqual(m.AsSpan((int)load.Offset, (int)load.FileSize)), "the PT_LOAD differs");
        Assert.True(q.AsSpan().SequenceEqual(m), "the files differ");
        // The notes carry the registers the guest set: pc in NT_PRSTATUS, Q0 and FPSR/FPCR in NT_PRFPREG.
        int prstatus = (int)note.Offset + 20;
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(prstatus + 32)));
        Assert.Equal(LoopAddress, BinaryPrimitives.ReadUInt64LittleEndian(m.AsSpan(prstatus + 112 + 32 * 8)));
        int fp = prstatus + 392 + 20;
        Assert.Equal(0x1111000000002222UL, BinaryPrimitives.ReadUInt64LittleEndian(m.AsSpan(fp)));
        Assert.Equal(0x3333UL, BinaryPrimitives.ReadUInt64LittleEndian(m.AsSpan(fp + 8)));
        Assert.Equal(0x08000000u, BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(fp + 512)));
        Assert.Equal(0x03000000u, BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(fp + 516)));
        var notes = ProgramRunner.Check("readelf", "-n", ours);
        Assert.Equal(2, Regex.Matches(notes, @"CORE\s+0x00000188\s+NT_PRSTATUS").Count);
        Assert.Equal(2, Regex.Matches(notes, @"CORE\s+0x00000210\s+NT_FPREGSET").Count);
        // The second CPU's NT_PRSTATUS: pr_pid 2.
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(fp + 528 + 20 + 32)));

        // qevm cpu: the values of QEMU's info registers at the same pause.
        var regs = Hmp(hmp);
        var cpu = JsonNode.Parse(Cli("cpu", mig, "--json"))!;
        Assert.Equal("aarch64", (string?)cpu["arch"]);
        Assert.Equal(2, cpu["cpus"]!.AsArray().Count);
        var c = cpu["cpus"]![0]!;
        Assert.Equal(regs["PC"], (ulong)c["pc"]!);
        Assert.Equal(LoopAddress, (ulong)c["pc"]!);
        for (int i = 0; i < 31; i++) Assert.Equal(regs[string.Create(CultureInfo.InvariantCulture, $"X{i:d2}")], (ulong)c["x" + i.ToString(CultureInfo.InvariantCulture)]!);
        Assert.Equal(0xbeefUL, (ulong)c["x30"]!);
        Assert.Equal(regs["SP"], (ulong)c["sp"]!);
        Assert.Equal(regs["PSTATE"], (ulong)c["pstate"]!);
        Assert.Equal(regs["FPCR"], (ulong)c["fpcr"]!);
        Assert.Equal(regs["FPSR"], (ulong)c["fpsr"]!);
        Assert.Equal(1, (int)c["el"]!);
        var qregs = HmpVectors(hmp);
        Assert.Equal(32, qregs.Count);
        Assert.Equal(qregs, c["q"]!.AsArray().Select(v => ((string)v!)[2..]).ToList());
        Assert.Equal("00000000000033331111000000002222", qregs[0]);

        // The text form has QEMU's lines for the registers it shares with info registers.
        var text = Cli("cpu", mig);
        var shared = hmp.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("X", StringComparison.Ordinal) || l.StartsWith("Q", StringComparison.Ordinal) || l.StartsWith("PSTATE", StringComparison.Ordinal)).ToList();
        Assert.True(shared.Count >= 10 + 1 + 16, hmp); // X01-X30 (ten lines), PSTATE, Q00-Q31 (sixteen lines)
        foreach (var line in shared)
            Assert.Contains(line, text, StringComparison.Ordinal);
    }

    /// <summary>
    /// The <c>max</c> CPU has SVE, for which QEMU adds a "LINUX" NT_ARM_SVE note whose sizes depend on the CPU's
    /// maximum vector length (a property the stream does not carry): export refuses it in one line and writes
    /// nothing, while <c>qevm cpu</c> still shows the registers.
    /// </summary>
    [Fact]
    public void VirtWithSve_ExportRefusedInOneLine_CpuStillShown()
    {
        var kernel = Path.Combine(_dir, "kernel.bin");
        File.WriteAllBytes(kernel, Kernel.SelectMany(w => BitConverter.GetBytes(w)).ToArray());
        string hmp = "";
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "sve", "qemu-system-aarch64", q => hmp = RunToLoop(q),
            "-M", "virt", "-cpu", "max", "-m", "64", "-kernel", kernel);
        Assert.Contains("NT_ARM_SVE", ProgramRunner.Check("readelf", "-n", elf), StringComparison.Ordinal);

        var ours = Path.Combine(_dir, "ours.elf");
        var err = new StringWriter();
        Assert.Equal(1, Qevm.Cli.Program.Run(["export", mig, "-o", ours, "--format", "elf"], TextWriter.Null, err));
        Assert.Equal("qevm: cpu#0 has SVE, for which QEMU adds an NT_ARM_SVE note at the current vector length; not supported", err.ToString().TrimEnd());
        Assert.False(File.Exists(ours));

        var c = JsonNode.Parse(Cli("cpu", mig, "--json"))!["cpus"]![0]!;
        Assert.Equal(Hmp(hmp)["PC"], (ulong)c["pc"]!);
        Assert.Equal(HmpVectors(hmp), c["q"]!.AsArray().Select(v => ((string)v!)[2..])); // SVE is off at EL1 (CPACR_EL1.ZEN): QEMU prints Q0-Q31
    }

    // Runs the guest until it sits in its final loop, stops it and returns info registers.
    private static string RunToLoop(QemuProcess q)
    {
        q.Execute("cont");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!q.Hmp("info registers").Contains(string.Create(CultureInfo.InvariantCulture, $"PC={LoopAddress:x16}"), StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the guest did not reach its loop");
            Thread.Sleep(100);
        }
        q.Execute("stop");
        return q.Hmp("info registers");
    }

    private static string Cli(params string[] args)
    {
        var output = new StringWriter();
        var err = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(args, output, err) == 0, err.ToString());
        return output.ToString();
    }

    // NAME=HEX pairs of aarch64_cpu_dump_state (PC, X00-X30, SP, PSTATE, FPCR, FPSR).
    private static Dictionary<string, ulong> Hmp(string text) =>
        HmpScalar().Matches(text).ToDictionary(m => m.Groups[1].Value, m => ulong.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    // Qnn=HIGH:LOW as 32 hex digits.
    private static List<string> HmpVectors(string text) => HmpVector().Matches(text).Select(m => m.Groups[1].Value + m.Groups[2].Value).ToList();

    [GeneratedRegex(@"\b(PC|X\d\d|SP|PSTATE|FPCR|FPSR)=([0-9a-f]+)\b")]
    private static partial Regex HmpScalar();

    [GeneratedRegex(@"\bQ\d\d=([0-9a-f]{16}):([0-9a-f]{16})")]
    private static partial Regex HmpVector();
}
