using Qevm.Tests.Corpus;

namespace Qevm.Tests.Codec;

/// <summary>Every path <c>dump</c> prints resolves to its own value, in every real file.</summary>
public class FieldPathTests
{
    [Theory]
    [MemberData(nameof(CorpusFiles.All), MemberType = typeof(CorpusFiles))]
    public void EveryDumpedPath_ResolvesToItsValue(string name)
    {
        var bytes = CorpusFiles.Bytes(name);
        var schemas = name.EndsWith("device.state", StringComparison.Ordinal) || name.Contains("suppress", StringComparison.Ordinal)
            ? null : new List<ISchemaSource>();
        var dump = StateDump.Read(new MemoryStream(bytes, writable: false), schemas);
        int n = 0;
        foreach (var s in dump.Sections)
        {
            if (s.Root is null) continue;
            Visit(s.Root, s.Path, (path, value) =>
            {
                var r = FieldPath.Resolve(dump.Sections, path);
                Assert.True(r is not null, $"{name}: {path} does not resolve");
                Assert.Same(value, r!.Value.Value);
                Assert.Same(s, r.Value.Section);
                n++;
            });
        }
        if (!name.EndsWith("device.state", StringComparison.Ordinal) && !name.Contains("suppress", StringComparison.Ordinal)) Assert.True(n > 50, $"{name}: only {n} paths");
    }

    [Fact]
    public void Paths_WithSlashesColonsDotsAndBrackets()
    {
        var dump = StateDump.Read(File.OpenRead(Path.Combine(CorpusFiles.FixturesDir, "x86-pc-smp2", "full.mig")));
        Assert.NotNull(FieldPath.Resolve(dump.Sections, "cpu#1/env.regs[3]"));
        Assert.NotNull(FieldPath.Resolve(dump.Sections, "0000:00:01.1/ide#0"));
        Assert.NotNull(FieldPath.Resolve(dump.Sections, "mc146818rtc/cmos_index")); // instance 0 may be left out
        Assert.Null(FieldPath.Resolve(dump.Sections, "cpu#1/env.regs[16]"));
        Assert.Null(FieldPath.Resolve(dump.Sections, "cpu#7/env.regs[0]"));
        Assert.Null(FieldPath.Resolve(dump.Sections, "cpu#1/env.nosuch"));
    }

    private static void Visit(VmValue v, string path, Action<string, VmValue> visit)
    {
        visit(path, v);
        switch (v)
        {
            case VmStruct st:
                foreach (var (n, m) in st.Members) Visit(m, path + "/" + FieldPath.Segment(st, n), visit);
                break;
            case VmArray a:
                for (int i = 0; i < a.Elements.Count; i++) Visit(a.Elements[i], path + "[" + i + "]", visit);
                break;
        }
    }
}
