using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Qevm.Guest;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm cpu FILE [--json]</c>: every CPU's registers, laid out as QEMU's <c>info registers</c>.</summary>
internal static class CpuCommand
{
    private static readonly string[] SegmentNames = ["ES", "CS", "SS", "DS", "FS", "GS"];
    private static readonly string[] GprNames = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var json = new Option<bool>("--json") { Description = "print the registers as JSON" };
        var schemas = SchemaOption.Create();
        var cmd = new Command("cpu", "Every CPU's registers (x86, aarch64) from the cpu sections, as QEMU's info registers shows them") { file, json, schemas };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            using var input = CommandRunner.OpenState(pr, pr.GetValue(file)!);
            var state = StateDump.Read(input.Stream, SchemaOption.Load(pr, schemas));
            if (ArmCpuState.Holds(state)) Print(output, pr.GetValue(json), "aarch64", ArmCpuState.FromState(state), ArmJson, ArmText);
            else Print(output, pr.GetValue(json), "x86", X86CpuState.FromState(state), X86Json, X86Text);
            return 0;
        }));
        return cmd;
    }

    // The text of each CPU, or {"arch": ..., "cpus": [{...}, ...]}.
    private static void Print<T>(CliOutput output, bool json, string arch, List<T> cpus, Action<Utf8JsonWriter, T> cpuJson, Func<T, string> text)
    {
        if (!json)
        {
            foreach (var c in cpus) output.Out.Write(text(c));
            return;
        }
        output.WriteJson(w =>
        {
            w.WriteStartObject();
            w.WriteString("arch", arch);
            w.WriteStartArray("cpus");
            foreach (var c in cpus)
            {
                w.WriteStartObject();
                cpuJson(w, c);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static string Hex(UInt128 v) => ((ulong)(v >> 64)).ToString("x16", CultureInfo.InvariantCulture) + ((ulong)v).ToString("x16", CultureInfo.InvariantCulture);

    // x86_cpu_dump_state with CPU_DUMP_FPU: 64-bit widths when CS is a 64-bit code segment (hflags CS64).
    private static string X86Text(X86CpuState c)
    {
        var ci = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        bool cs64 = (c.Hflags & (1 << 15)) != 0;
        string W(ulong v) => cs64 ? v.ToString("x16", ci) : ((uint)v).ToString("x8", ci);
        ulong f = c.Eflags;
        string flags = string.Concat((f & 0x400) != 0 ? "D" : "-", (f & 0x800) != 0 ? "O" : "-", (f & 0x80) != 0 ? "S" : "-", (f & 0x40) != 0 ? "Z" : "-",
            (f & 0x10) != 0 ? "A" : "-", (f & 0x4) != 0 ? "P" : "-", (f & 0x1) != 0 ? "C" : "-");
        s.Append(ci, $"CPU#{c.Index}\n");
        if (cs64)
        {
            s.Append(ci, $"RAX={W(c.Regs[0])} RBX={W(c.Regs[3])} RCX={W(c.Regs[1])} RDX={W(c.Regs[2])}\n");
            s.Append(ci, $"RSI={W(c.Regs[6])} RDI={W(c.Regs[7])} RBP={W(c.Regs[5])} RSP={W(c.Regs[4])}\n");
            s.Append(ci, $"R8 ={W(c.Regs[8])} R9 ={W(c.Regs[9])} R10={W(c.Regs[10])} R11={W(c.Regs[11])}\n");
            s.Append(ci, $"R12={W(c.Regs[12])} R13={W(c.Regs[13])} R14={W(c.Regs[14])} R15={W(c.Regs[15])}\n");
            s.Append(ci, $"RIP={W(c.Eip)} RFL={(uint)f:x8} [{flags}]");
        }
        else
        {
            s.Append(ci, $"EAX={W(c.Regs[0])} EBX={W(c.Regs[3])} ECX={W(c.Regs[1])} EDX={W(c.Regs[2])}\n");
            s.Append(ci, $"ESI={W(c.Regs[6])} EDI={W(c.Regs[7])} EBP={W(c.Regs[5])} ESP={W(c.Regs[4])}\n");
            s.Append(ci, $"EIP={W(c.Eip)} EFL={(uint)f:x8} [{flags}]");
        }
        s.Append(ci, $" CPL={c.Hflags & 3} II={(c.Hflags >> 3) & 1} A20={(c.A20Mask >> 20) & 1} SMM={(c.Hflags >> 19) & 1} HLT={(c.Halted ? 1 : 0)}\n");
        void Seg(string name, X86Segment g) => s.Append(ci, $"{name,-3}={g.Selector:x4} {W(g.Base)} {g.Limit:x8} {g.Flags & 0x00ffff00:x8}\n");
        for (int i = 0; i < 6; i++) Seg(SegmentNames[i], c.Segments[i]);
        Seg("LDT", c.Ldt);
        Seg("TR", c.Tr);
        bool lma = c.LongMode;
        string L(ulong v) => lma ? v.ToString("x16", ci) : ((uint)v).ToString("x8", ci);
        s.Append(ci, $"GDT=     {L(c.Gdt.Base)} {c.Gdt.Limit:x8}\n");
        s.Append(ci, $"IDT=     {L(c.Idt.Base)} {c.Idt.Limit:x8}\n");
        s.Append(ci, $"CR0={(uint)c.Cr[0]:x8} CR2={L(c.Cr[2])} CR3={L(c.Cr[3])} CR4={(uint)c.Cr[4]:x8}\n");
        if (c.Dr.Count == 8)
            s.Append(ci, $"DR0={c.Dr[0]:x16} DR1={c.Dr[1]:x16} DR2={c.Dr[2]:x16} DR3={c.Dr[3]:x16} \nDR6={c.Dr[6]:x16} DR7={c.Dr[7]:x16}\n");
        s.Append(ci, $"EFER={c.Efer:x16}\n");
        s.Append(ci, $"FCW={c.Fpuc:x4} FSW={c.Fpus:x4} [ST={(c.Fpus >> 11) & 7}] FTW={c.Fptag:x2} MXCSR={c.Mxcsr:x8}\n");
        for (int i = 0; i < c.FpRegs.Count; i++)
            s.Append(ci, $"FPR{i}={c.FpRegs[i].Mantissa:x16} {c.FpRegs[i].Exponent:x4}{((i & 1) == 1 ? "\n" : " ")}");
        int nb = cs64 ? 16 : 8;
        // XCR0 SSE|YMM: the YMM registers, else XMM (as QEMU; AVX-512 state is not read).
        bool ymm = (c.Xcr0 & 6) == 6 && c.YmmHigh.Count == c.Xmm.Count;
        for (int i = 0; i < Math.Min(nb, c.Xmm.Count); i++)
        {
            if (ymm)
            {
                var hi = Hex(c.YmmHigh[i]);
                var lo = Hex(c.Xmm[i]);
                s.Append(ci, $"YMM{i:d2}={hi[..16]} {hi[16..]} {lo[..16]} {lo[16..]}\n");
            }
            else
            {
                var x = Hex(c.Xmm[i]);
                s.Append(ci, $"XMM{i:d2}={x[..16]} {x[16..]}{((i & 1) == 1 ? "\n" : " ")}");
            }
        }
        ThreeALine(s, c.Msrs.Select(m => (m.Key.ToUpperInvariant(), m.Value)).ToList());
        return s.ToString();
    }

    private static void X86Json(Utf8JsonWriter w, X86CpuState c)
    {
        w.WriteNumber("index", c.Index);
        w.WriteBoolean("long_mode", c.LongMode);
        w.WriteBoolean("halted", c.Halted);
        for (int i = 0; i < 16; i++) w.WriteNumber(GprNames[i], c.Regs[i]);
        w.WriteNumber("rip", c.Eip);
        w.WriteNumber("rflags", c.Eflags);
        w.WriteNumber("hflags", c.Hflags);
        w.WriteNumber("cpl", c.Hflags & 3);
        for (int i = 0; i < 6; i++) Segment(w, SegmentNames[i].ToLowerInvariant(), c.Segments[i]);
        Segment(w, "ldt", c.Ldt);
        Segment(w, "tr", c.Tr);
        Segment(w, "gdt", c.Gdt);
        Segment(w, "idt", c.Idt);
        foreach (int i in (int[])[0, 2, 3, 4]) w.WriteNumber("cr" + i.ToString(CultureInfo.InvariantCulture), c.Cr[i]);
        for (int i = 0; i < c.Dr.Count; i++) w.WriteNumber("dr" + i.ToString(CultureInfo.InvariantCulture), c.Dr[i]);
        w.WriteNumber("efer", c.Efer);
        w.WriteNumber("a20_mask", c.A20Mask);
        w.WriteStartObject("msrs");
        foreach (var m in c.Msrs) w.WriteNumber(m.Key, m.Value);
        w.WriteEndObject();
        w.WriteNumber("fcw", c.Fpuc);
        w.WriteNumber("fsw", c.Fpus);
        w.WriteNumber("ftw", c.Fptag);
        w.WriteStartArray("st");
        foreach (var r in c.FpRegs)
        {
            w.WriteStartObject();
            w.WriteNumber("mantissa", r.Mantissa);
            w.WriteNumber("exponent", r.Exponent);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("mxcsr", c.Mxcsr);
        w.WriteNumber("xcr0", c.Xcr0);
        Vectors(w, "xmm", c.Xmm);
        Vectors(w, "ymm_high", c.YmmHigh);
    }

    private static void Segment(Utf8JsonWriter w, string name, X86Segment s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("selector", s.Selector);
        w.WriteNumber("base", s.Base);
        w.WriteNumber("limit", s.Limit);
        w.WriteNumber("flags", s.Flags);
        w.WriteEndObject();
    }

    private static void Numbers(Utf8JsonWriter w, string name, IReadOnlyList<ulong> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    // 128-bit values as 32 hex digits (JSON numbers do not hold them).
    private static void Vectors(Utf8JsonWriter w, string name, IReadOnlyList<UInt128> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue("0x" + Hex(v));
        w.WriteEndArray();
    }

    // aarch64_cpu_dump_state with CPU_DUMP_FPU (no SVE), then the banked SPs, ELRs and some system registers.
    private static string ArmText(ArmCpuState c)
    {
        var ci = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.Append(ci, $"CPU#{c.Index}\n");
        if (!c.Aarch64) s.Append("(AArch32 state: the X registers below are as last synchronised)\n");
        s.Append(ci, $" PC={c.Pc:x16} ");
        for (int i = 0; i < 31; i++) s.Append(ci, $"X{i:d2}={c.X[i]:x16}{((i + 2) % 3 != 0 ? " " : "\n")}");
        s.Append(ci, $" SP={c.Sp:x16}\n");
        uint p = c.Pstate;
        s.Append(ci, $"PSTATE={p:x8} {((p & 0x80000000) != 0 ? 'N' : '-')}{((p & 0x40000000) != 0 ? 'Z' : '-')}{((p & 0x20000000) != 0 ? 'C' : '-')}{((p & 0x10000000) != 0 ? 'V' : '-')} EL{c.ExceptionLevel}{((p & 1) != 0 ? 'h' : 't')}");
        s.Append(ci, $"     FPCR={c.Fpcr:x8} FPSR={c.Fpsr:x8}\n");
        for (int i = 0; i < 32; i++)
        {
            var q = Hex(c.Q[i]);
            s.Append(ci, $"Q{i:d2}={q[..16]}:{q[16..]}{((i & 1) != 0 ? "\n" : " ")}");
        }
        OneLine(s, "SP_EL", c.SpEl);
        OneLine(s, "ELR_EL", c.ElrEl);
        ThreeALine(s, c.SystemRegisters.Select(r => (r.Key, r.Value)).ToList());
        return s.ToString();
    }

    // NAME0=... NAME1=... on one line: the banked registers of each exception level.
    private static void OneLine(StringBuilder s, string prefix, IReadOnlyList<ulong> values)
    {
        for (int i = 0; i < values.Count; i++)
            s.Append(CultureInfo.InvariantCulture, $"{prefix}{i}={values[i]:x16}{(i == values.Count - 1 ? "\n" : " ")}");
    }

    // NAME=value, three a line, as info registers prints MSRs and system registers.
    private static void ThreeALine(StringBuilder s, List<(string Name, ulong Value)> registers)
    {
        for (int i = 0; i < registers.Count; i++)
            s.Append(CultureInfo.InvariantCulture, $"{registers[i].Name}={registers[i].Value:x16}{((i + 1) % 3 == 0 || i == registers.Count - 1 ? "\n" : " ")}");
    }

    private static void ArmJson(Utf8JsonWriter w, ArmCpuState c)
    {
        w.WriteNumber("index", c.Index);
        w.WriteBoolean("aarch64", c.Aarch64);
        for (int i = 0; i < 31; i++) w.WriteNumber("x" + i.ToString(CultureInfo.InvariantCulture), c.X[i]);
        w.WriteNumber("sp", c.Sp);
        w.WriteNumber("pc", c.Pc);
        w.WriteNumber("pstate", c.Pstate);
        w.WriteNumber("el", c.ExceptionLevel);
        w.WriteNumber("fpsr", c.Fpsr);
        w.WriteNumber("fpcr", c.Fpcr);
        Vectors(w, "q", c.Q);
        Numbers(w, "sp_el", c.SpEl);
        Numbers(w, "elr_el", c.ElrEl);
        w.WriteStartObject("system_registers");
        foreach (var (name, value) in c.SystemRegisters) w.WriteNumber(name, value);
        w.WriteEndObject();
    }
}
