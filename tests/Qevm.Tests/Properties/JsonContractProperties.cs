using System.IO.Compression;
using System.Text.Json.Nodes;
using CsCheck;
using Qevm.Tests.Cli;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Properties;

/// <summary>
/// The error contract on JSON inputs: randomly mutated <c>dump --json</c> documents, <c>-dump-vmstate</c> files,
/// trailer JSON and catalogues (a property removed, a value replaced by one of another type or out of range, a name changed) either work or
/// fail with <see cref="VmStateFormatException"/> naming a JSON path; through the CLI, exit 0 or 1 and, on 1,
/// exactly one line on stderr.
/// </summary>
public sealed class JsonContractProperties : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-jsonprop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Gen<(int Where, int Kind)> Edit = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 11]);

    private static readonly Func<JsonNode?>[] Replacements =
    [
        () => "x", () => -1, () => 1.5, () => 1e30, () => true, () => null, () => new JsonObject(), () => new JsonArray(),
        () => 4294967296L, () => "zz", () => 0,
    ];

    // Applies the edits to a parsed copy; the root itself is never replaced.
    internal static string Mutate(string json, (int Where, int Kind)[] edits)
    {
        var root = JsonNode.Parse(json)!;
        foreach (var (where, kind) in edits)
        {
            var slots = new List<(JsonNode Parent, string? Key, int Index)>();
            Walk(root, slots);
            if (slots.Count == 0) break;
            var (parent, key, index) = slots[where % slots.Count];
            if (kind == 11)
            {
                if (parent is JsonObject o) o.Remove(key!);
                else ((JsonArray)parent).RemoveAt(index);
            }
            else if (kind == 10 && parent is JsonObject renamed)
            {
                var v = renamed[key!];
                renamed.Remove(key!);
                renamed[key + "_"] = v;
            }
            else if (parent is JsonObject o)
            {
                o[key!] = Replacements[kind % Replacements.Length]();
            }
            else
            {
                ((JsonArray)parent)[index] = Replacements[kind % Replacements.Length]();
            }
        }
        return root.ToJsonString();
    }

    private static void Walk(JsonNode node, List<(JsonNode, string?, int)> slots)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    slots.Add((o, k, -1));
                    if (v is not null) Walk(v, slots);
                }
                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    slots.Add((a, null, i));
                    if (a[i] is { } v) Walk(v, slots);
                }
                break;
        }
    }

    private static void AssertOneLineOrSuccess(int code, string err, string what)
    {
        Assert.True(code is 0 or 1, $"{what}: exit {code}: {err}");
        if (code == 1)
        {
            var lines = err.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
            Assert.True(lines.Length == 1 && lines[0].StartsWith("qevm: ", StringComparison.Ordinal), $"{what}: not one line: {err}");
            Assert.DoesNotContain("requires an element of type", err, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("fixtures/x86-pc/device.state")]
    [InlineData("fixtures/x86-pc-smp2/device.state")]
    public void MutatedDumpJson_ComposesOrFailsNamingAJsonPath(string name)
    {
        string json = System.Text.Encoding.UTF8.GetString(Qevm.Tests.Edit.ComposeTests.DumpJson(CorpusFiles.Bytes(name)));
        var path = Path.Combine(_dir, "state.json");
        var output = Path.Combine(_dir, "out.mig");
        int failures = 0;
        Edit.Array[1, 3].Sample(edits =>
        {
            string mutated = Mutate(json, edits);
            var bytes = System.Text.Encoding.UTF8.GetBytes(mutated);
            try
            {
                StateComposer.ReadContainer(bytes);
                StateComposer.Compose(bytes, Stream.Null);
            }
            catch (VmStateFormatException e)
            {
                Assert.True(e.JsonPath is not null && e.Message.StartsWith(e.JsonPath, StringComparison.Ordinal), e.Message);
                failures++;
            }
            File.WriteAllText(path, mutated);
            var (code, _, err) = QevmCli.Run("compose", path, "-o", output);
            AssertOneLineOrSuccess(code, err, "compose");
            if (code == 1) Assert.False(File.Exists(output));
            File.Delete(output);
        }, iter: 300, threads: 1, seed: "0000000000001");
        Assert.True(failures > 100, $"only {failures} of 300 mutated documents were refused: the mutations do not reach the reader");
    }

    [Fact]
    public void MutatedDumpVmState_LoadsOrFailsNamingAJsonPath()
    {
        string json;
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "schema.json.gz")), CompressionMode.Decompress))
        using (var reader = new StreamReader(gz))
            json = reader.ReadToEnd();
        var path = Path.Combine(_dir, "schema.json");
        var device = Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "device.state");
        int failures = 0;
        Edit.Array[1, 3].Sample(edits =>
        {
            string mutated = Mutate(json, edits);
            try
            {
                var schema = DumpVmStateSchema.Parse(System.Text.Encoding.UTF8.GetBytes(mutated));
                StateDump.Read(File.OpenRead(device), [schema]);
            }
            catch (VmStateFormatException e)
            {
                Assert.True(e.JsonPath is not null || e.Offset >= 0, e.Message);
                failures++;
            }
            File.WriteAllText(path, mutated);
            var (code, _, err) = QevmCli.Run("dump", device, "--schema", path);
            AssertOneLineOrSuccess(code, err, "dump --schema");
            (code, _, err) = QevmCli.Run("check", device, "--target", path);
            AssertOneLineOrSuccess(code, err, "check --target");
        }, iter: 150, threads: 1, seed: "0000000000001");
        Assert.True(failures > 20, $"only {failures} of 150 mutated dumps were refused: the mutations do not reach the reader");
    }

    // A mutated schema decodes x86-pc's device.state or fails naming a JSON path (or, found by the decoder, an
    // offset); through the CLI, dump --schema exits 0 or 1 with one line. The decoder reports a description that
    // does not fit as a section's problem, so the mutations that reach it are the refusals and the documents whose
    // dump has other problems than the unmutated one's.
    private void MutatedSchema_DecodesOrFails(string json, string fileName, Func<byte[], ISchemaSource> parse, int iterations, int minReached)
    {
        var path = Path.Combine(_dir, fileName);
        var device = Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "device.state");
        static string Problems(StateDump d) => string.Join("\n", d.Sections.SelectMany(s => s.Problems));
        string baseline = Problems(StateDump.Read(File.OpenRead(device), [parse(System.Text.Encoding.UTF8.GetBytes(json))]));
        int refused = 0, reached = 0;
        Edit.Array[1, 3].Sample(edits =>
        {
            string mutated = Mutate(json, edits);
            try
            {
                var schema = parse(System.Text.Encoding.UTF8.GetBytes(mutated));
                if (Problems(StateDump.Read(File.OpenRead(device), [schema])) != baseline) reached++;
            }
            catch (VmStateFormatException e)
            {
                Assert.True(e.JsonPath is not null || e.Offset >= 0, e.Message);
                refused++;
            }
            File.WriteAllText(path, mutated);
            var (code, _, err) = QevmCli.Run("dump", device, "--schema", path);
            AssertOneLineOrSuccess(code, err, "dump --schema " + fileName);
        }, iter: iterations, threads: 1, seed: "0000000000001");
        Assert.True(refused + reached >= minReached,
            $"{refused} refused and {reached} decoded otherwise of {iterations} mutated schemas: the mutations do not reach the parser");
    }

    [Fact]
    public void MutatedTrailer_DecodesOrFailsNamingAJsonPath()
    {
        var trailer = Qevm.Tests.Codec.DecodeCorpusTests.TrailerOf("fixtures/x86-pc/full.mig");
        MutatedSchema_DecodesOrFails(System.Text.Encoding.UTF8.GetString(trailer.Json.Span), "trailer.json", data => Trailer.Parse(data), 150, 10);
    }

    [Fact]
    public void MutatedCatalogue_DecodesOrFailsNamingAJsonPath()
    {
        var catalogue = new SchemaCatalogue();
        catalogue.Harvest(new MemoryStream(CorpusFiles.Bytes("fixtures/x86-pc/full.mig"), writable: false), "x86-pc/full.mig");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer)) catalogue.Write(w);
        MutatedSchema_DecodesOrFails(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), "catalogue.json", data => SchemaCatalogue.Parse(data), 150, 20);
    }
}
