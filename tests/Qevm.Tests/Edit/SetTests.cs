using Qevm.Tests.Corpus;

namespace Qevm.Tests.Edit;

/// <summary><c>qevm set</c>: changes exactly the named bytes; refuses bad values, paths and outputs without leaving a file.</summary>
public sealed class SetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-set-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(CorpusFiles.FixturesDir, name);

    private static (int Code, string Err) Run(params string[] args)
    {
        var e = new StringWriter();
        return (Qevm.Cli.Program.Run(args, TextWriter.Null, e), e.ToString());
    }

    [Fact]
    public void Set_ChangesOnlyTheFieldsBytes_AndDiffListsThem()
    {
        var src = Fixture("x86-pc-smp2/full.mig");
        var dst = Path.Combine(_dir, "out.mig");
        Assert.Equal(0, Run("set", src, "-o", dst, "cpu#0/env.regs[0]=0x1122334455667788", "cpu#1/env.regs[3]=0x0badc0de", "mc146818rtc/cmos_index=10").Code);
        var a = File.ReadAllBytes(src);
        var b = File.ReadAllBytes(dst);
        Assert.Equal(a.Length, b.Length);
        var dump = StateDump.Read(new MemoryStream(a));
        var changed = new HashSet<long>();
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) changed.Add(i);
        var allowed = new HashSet<long>();
        foreach (var p in (string[])["cpu#0/env.regs[0]", "cpu#1/env.regs[3]", "mc146818rtc/cmos_index"])
        {
            var v = FieldPath.Resolve(dump.Sections, p)!.Value.Value;
            for (long at = v.Offset; at < v.Offset + v.Length; at++) allowed.Add(at);
        }
        Assert.Subset(allowed, changed);
        Assert.NotEmpty(changed);

        var o = new StringWriter();
        Assert.Equal(1, Qevm.Cli.Program.Run(["diff", src, dst], o, TextWriter.Null));
        var lines = o.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Contains("cpu#0/env.regs[0]: 0x0 -> 0x1122334455667788", lines);
        Assert.Contains("cpu#1/env.regs[3]: 0x0 -> 0xbadc0de", lines);
        Assert.Equal(0, Qevm.Cli.Program.Run(["diff", src, src], TextWriter.Null, TextWriter.Null));
    }

    [Theory]
    [InlineData("cpu#0/env.regs[0]=-1", "unsigned")]
    [InlineData("mc146818rtc/cmos_index=256", "does not fit in 8 bits")]
    [InlineData("cpu#0/env.nosuch=1", "no such field")]
    [InlineData("cpu#0/env.regs=1", "not set as a whole")]
    [InlineData("mc146818rtc/cmos_data=00", "exactly 128")]
    public void Set_RefusesBadEdits_AndLeavesNoFile(string edit, string message)
    {
        var dst = Path.Combine(_dir, "out.mig");
        var (code, err) = Run("set", Fixture("x86-pc/full.mig"), "-o", dst, edit);
        Assert.NotEqual(0, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Set_UnwritableOutput_FailsWithoutAFile()
    {
        var (code, _) = Run("set", Fixture("x86-pc/full.mig"), "-o", Path.Combine(_dir, "missing-dir", "out.mig"), "mc146818rtc/cmos_index=1");
        Assert.Equal(2, code);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Set_InPlace_ReplacesTheInput_AndOtherwiseRefusesIt()
    {
        var file = Path.Combine(_dir, "in.mig");
        File.Copy(Fixture("x86-pc/full.mig"), file);
        Assert.Equal(2, Run("set", file, "-o", file, "mc146818rtc/cmos_index=1").Code);
        Assert.Equal(0, Run("set", file, "--in-place", "mc146818rtc/cmos_index=1").Code);
        var dump = StateDump.Read(File.OpenRead(file));
        Assert.Equal(1UL, ((VmScalar)FieldPath.Resolve(dump.Sections, "mc146818rtc/cmos_index")!.Value.Value).Bits);
        Assert.Equal([Path.GetFileName(file)], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Splice_ReplacesTheDeviceSections_AndRefusesAnotherVm()
    {
        var dst = Path.Combine(_dir, "spliced.mig");
        Assert.Equal(0, Run("splice", "--devices", Fixture("x86-pc/device.state"), "--into", Fixture("x86-pc/full.mig"), "-o", dst).Code);
        var o = new StringWriter();
        Assert.Equal(1, Qevm.Cli.Program.Run(["diff", Fixture("x86-pc/full.mig"), dst], o, TextWriter.Null));
        // The two sources differ only in the runstate (xen-save-devices-state always stores "running").
        Assert.All(o.ToString().TrimEnd('\n').Split('\n'), l => Assert.StartsWith("globalstate#0/", l, StringComparison.Ordinal));
        var dev = StateDump.Read(File.OpenRead(Fixture("x86-pc/device.state")));
        var spliced = StateDump.Read(File.OpenRead(dst));
        Assert.Equal(dev.Sections.Select(s => Convert.ToHexString(s.Payload)), spliced.Sections.Select(s => Convert.ToHexString(s.Payload)));

        var (code, err) = Run("splice", "--devices", Fixture("x86-pc-smp2/device.state"), "--into", Fixture("x86-pc/full.mig"), "-o", Path.Combine(_dir, "bad.mig"));
        Assert.NotEqual(0, code);
        Assert.Contains("cpu_common#1", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "bad.mig")));
    }
}
