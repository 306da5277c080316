using Qevm.Engine.Devices;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Schema;

/// <summary>
/// One model from every source: for the RTC, the PIT and the PIC, the engine's C# declarations, QEMU 7.2's
/// <c>-dump-vmstate</c> and the trailer of a real QEMU 7.2 stream give the same rules, and decode the real
/// section bytes into the same tree.
/// </summary>
public sealed class DescriptionSourcesTests
{
    private static readonly string Fixture = Path.Combine(CorpusFiles.FixturesDir, "x86-pc");

    public static TheoryData<string> Devices => ["mc146818rtc", "i8254", "i8259"];

    private static VmStateDescription Engine(string idstr) => idstr switch
    {
        "mc146818rtc" => Mc146818Rtc.Vmstate.Description,
        "i8254" => I8254.Vmstate.Description,
        "i8259" => I8259.Vmstate.Description,
        _ => throw new ArgumentException(idstr),
    };

    // What QEMU's table says: names, versions, field versions and tests, nested descriptions, subsections.
    private static string Rules(VmStateDescription d) =>
        $"{d.Name} v{d.VersionId} min {d.MinimumVersionId} [" +
        string.Join(", ", d.Fields.Select(f => $"{f.Name}@{f.VersionId}{(f.Exists is null ? "" : "?")}{(f.Struct is { } s ? " {" + Rules(s) + "}" : "")}")) +
        "] subsections [" + string.Join(", ", d.Subsections.Select(Rules)) + "]";

    // What one version writes: member names, type names, element sizes and counts (nested layouts for structs).
    private static string Layout(VmStateDescription d, int version) =>
        string.Join(", ", d.Fields.Select((f, i) => (f, i)).Where(x => x.f.VersionId <= version).Select(x =>
            $"{d.MemberName(x.i)}:{x.f.TypeName}:{(x.f.Struct is { } s ? "{" + Layout(s, s.VersionId) + "}" : x.f.Size.ToString(System.Globalization.CultureInfo.InvariantCulture))}x{x.f.Count}"));

    [Theory]
    [MemberData(nameof(Devices))]
    public void EngineAndDumpVmState_HaveTheSameRules(string idstr)
    {
        var dump = Assert.IsType<DumpVmStateSchema>(SchemaFile.Load(Path.Combine(Fixture, "schema.json.gz")));
        var engine = Engine(idstr);
        var fromDump = Assert.Single(dump.Describe(new SectionHeader(0, idstr, 0, (uint)engine.VersionId)));
        Assert.Equal(SchemaOrigin.DumpVmState, fromDump.Origin);
        Assert.Equal(Rules(engine), Rules(fromDump));
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void EngineAndTrailer_DescribeTheSameLayout_AndDecodeTheSameTree(string idstr)
    {
        var dump = StateDump.Read(File.OpenRead(Path.Combine(Fixture, "full.mig")));
        var sections = dump.Sections.Where(s => s.Header.Idstr == idstr).ToList();
        Assert.NotEmpty(sections);
        var trailer = Trailer.Load(Path.Combine(Fixture, "full.mig"));
        var engine = Engine(idstr);
        foreach (var s in sections)
        {
            var fromTrailer = trailer.GetDescription(idstr, s.Header.InstanceId)!;
            Assert.Equal(Layout(fromTrailer, fromTrailer.VersionId), Layout(engine, (int)s.Header.VersionId));
            var byTrailer = VmStateCodec.Decode(fromTrailer, s.Payload, s.PayloadOffset, (int)s.Header.VersionId);
            var byEngine = VmStateCodec.Decode(engine, s.Payload, s.PayloadOffset, (int)s.Header.VersionId);
            Assert.Equal(Flatten(byTrailer), Flatten(byEngine));
            Assert.Equal(s.Payload, VmStateCodec.Encode(byEngine));
        }
    }

    private static List<string> Flatten(VmValue v, string path = "")
    {
        var list = new List<string> { $"{path} @{v.Offset}+{v.Length} {v.GetType().Name}{(v is VmScalar sc ? " " + sc.Bits : v is VmBytes b ? " " + Convert.ToHexString(b.Bytes) : "")}" };
        switch (v)
        {
            case VmStruct s:
                foreach (var (name, m) in s.Members) list.AddRange(Flatten(m, path + "/" + name));
                break;
            case VmArray a:
                for (int i = 0; i < a.Elements.Count; i++) list.AddRange(Flatten(a.Elements[i], path + "[" + i + "]"));
                break;
        }
        return list;
    }
}
