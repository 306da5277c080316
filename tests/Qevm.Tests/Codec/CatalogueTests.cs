using Qevm.Tests.Corpus;

namespace Qevm.Tests.Codec;

/// <summary>A catalogue harvested from streams decodes device-state files like the streams' trailers do.</summary>
public sealed class CatalogueTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-cat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<string> Leaves(VmValue v)
    {
        var list = new List<string>();
        void Walk(VmValue x, string p)
        {
            switch (x)
            {
                case VmStruct s: foreach (var (n, m) in s.Members) Walk(m, p + "/" + n); break;
                case VmArray a: for (int i = 0; i < a.Elements.Count; i++) Walk(a.Elements[i], p + "[" + i + "]"); break;
                default: list.Add($"{p}@{x.Offset}+{x.Length}"); break;
            }
        }
        Walk(v, "");
        return list;
    }

    [Fact]
    public void HarvestedFromEveryStream_DecodesEveryDeviceStateLikeItsTrailer()
    {
        var streams = CorpusFiles.Enumerate().Where(e => e.Name.EndsWith("/full.mig", StringComparison.Ordinal)).ToList();
        var catalogue = new SchemaCatalogue();
        foreach (var (name, _) in streams)
            catalogue.Harvest(new MemoryStream(CorpusFiles.Bytes(name), writable: false), name);
        Assert.True(catalogue.Count > 20);

        // Through its file form, as `qevm schema harvest` writes it and `--schema` reads it.
        var path = Path.Combine(_dir, "catalogue.json");
        AtomicFile.Write(path, s =>
        {
            using var w = new System.Text.Json.Utf8JsonWriter(s);
            catalogue.Write(w);
        });
        var loaded = Assert.IsType<SchemaCatalogue>(SchemaFile.Load(path));
        Assert.Equal(catalogue.VariantCount, loaded.VariantCount);

        foreach (var (name, _) in CorpusFiles.Enumerate().Where(e => e.Name.EndsWith("/device.state", StringComparison.Ordinal)))
        {
            var stream = streams.FirstOrDefault(e => e.Name == name[..^"device.state".Length] + "full.mig").Name;
            if (stream is null || name.Contains("suppress", StringComparison.Ordinal)) continue;
            var byCatalogue = StateDump.Read(new MemoryStream(CorpusFiles.Bytes(name), writable: false), [loaded]);
            var byTrailer = StateDump.Read(new MemoryStream(CorpusFiles.Bytes(name), writable: false), [DecodeCorpusTests.TrailerOf(stream)]);
            for (int i = 0; i < byTrailer.Sections.Count; i++)
            {
                var t = byTrailer.Sections[i];
                var c = byCatalogue.Sections[i];
                if (t.Root is null) continue;
                Assert.True(c.Root is not null, $"{name}: {c.Path} not decoded by the catalogue: {string.Join("; ", c.Problems)}");
                Assert.True(Leaves(t.Root).SequenceEqual(Leaves(c.Root!)), $"{name}: {c.Path} decoded otherwise by the catalogue");
            }
        }
    }

    [Fact]
    public void SchemaHarvest_Cli_WritesACatalogueThatDumpUses()
    {
        var fixtures = CorpusFiles.FixturesDir;
        var cat = Path.Combine(_dir, "fixtures.json");
        var o = new StringWriter();
        Assert.Equal(0, Qevm.Cli.Program.Run(["schema", "harvest", Path.Combine(fixtures, "x86-pc", "full.mig"), Path.Combine(fixtures, "x86-pc-smp2", "full.mig"), "-o", cat], o, TextWriter.Null));
        Assert.Contains("descriptions", o.ToString(), StringComparison.Ordinal);
        var dump = StateDump.Read(File.OpenRead(Path.Combine(fixtures, "x86-pc-smp2", "device.state")), [SchemaFile.Load(cat)]);
        Assert.All(dump.Sections, s => Assert.True(s.Root is not null, s.Path + ": " + string.Join("; ", s.Problems)));
        Assert.Contains(dump.Sections, s => s.Path == "cpu#1");
    }
}
