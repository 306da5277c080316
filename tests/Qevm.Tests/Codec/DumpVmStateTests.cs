using Qevm.Tests.Corpus;

namespace Qevm.Tests.Codec;

/// <summary>
/// Device-state files decoded with only QEMU's <c>-dump-vmstate</c> output (schema.json): the command succeeds,
/// what is decoded is marked inferred, and every inferred field starts where a field of the trailer's exact
/// decoding starts: an inferred layout never misaligns the bytes.
/// </summary>
public class DumpVmStateTests
{
    public static IEnumerable<object[]> Cases() =>
        CorpusFiles.Enumerate()
            .Where(e => e.Name.EndsWith("/device.state", StringComparison.Ordinal) && SchemaPath(e.Path) is not null)
            .Select(e => new object[] { e.Name });

    [Theory]
    [MemberData(nameof(Cases))]
    public void DeviceState_WithDumpVmState_InfersOnlyWhatTheTrailerConfirms(string name)
    {
        var dumpSchema = SchemaFile.Load(SchemaPath(CorpusFiles.PathOf(name))!);
        Assert.IsType<DumpVmStateSchema>(dumpSchema);
        var inferred = StateDump.Read(new MemoryStream(CorpusFiles.Bytes(name), writable: false), [dumpSchema]);

        var streamName = CorpusFiles.Enumerate().First(e => e.Name.StartsWith(name[..^"device.state".Length] + "full.mig", StringComparison.Ordinal)).Name;
        bool hasTrailer = !streamName.Contains("suppress", StringComparison.Ordinal);
        var exact = hasTrailer ? StateDump.Read(new MemoryStream(CorpusFiles.Bytes(name), writable: false), [DecodeCorpusTests.TrailerOf(streamName)]) : null;

        int decoded = 0;
        foreach (var s in inferred.Sections)
        {
            if (s.Root is null)
            {
                Assert.NotEmpty(s.Problems);
                continue;
            }
            decoded++;
            Assert.True(s.Inferred);
            Assert.Equal(s.Payload, VmStateCodec.Encode(s.Root));
            var truth = exact?.Sections.First(x => x.RecordOffset == s.RecordOffset).Root;
            if (truth is null) continue;
            var starts = new HashSet<long>();
            Leaves(truth, v => starts.Add(v.Offset));
            Leaves(s.Root, v => Assert.True(v.Length == 0 || starts.Contains(v.Offset),
                $"{name}: {s.Path}: an inferred field at {v.Offset} ({v.Field?.Name}) does not start a field of the trailer's decoding"));
        }
        Assert.True(decoded > 0, $"{name}: nothing decoded with schema.json");
    }

    // The corpus has schema.json; the project's fixtures keep it compressed.
    private static string? SchemaPath(string streamPath)
    {
        var dir = Path.GetDirectoryName(streamPath)!;
        foreach (var f in (string[])["schema.json", "schema.json.gz"])
            if (File.Exists(Path.Combine(dir, f))) return Path.Combine(dir, f);
        return null;
    }

    private static void Leaves(VmValue v, Action<VmValue> leaf)
    {
        switch (v)
        {
            case VmStruct s:
                foreach (var (_, m) in s.Members) Leaves(m, leaf);
                break;
            case VmArray a:
                foreach (var e in a.Elements) Leaves(e, leaf);
                break;
            default:
                leaf(v);
                break;
        }
    }
}
