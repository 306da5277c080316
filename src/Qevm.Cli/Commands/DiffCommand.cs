using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm diff A B [--schema S]... [--json]</c>: exit 0 when equal, 1 when different, 2 on error (as diff does).</summary>
internal static class DiffCommand
{
    public static Command Create(CliOutput output)
    {
        var a = new Argument<string>("A") { Description = "first stream" };
        var b = new Argument<string>("B") { Description = "second stream" };
        var json = new Option<bool>("--json") { Description = "print the differences as JSON" };
        var schemas = SchemaOption.Create();
        var cmd = new Command("diff", "Compare two streams: sections only in one, fields that differ, RAM pages per block") { a, b, json, schemas };
        // diff's exit codes are those of diff(1): 0 equal, 1 different, 2 trouble (invalid input included).
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var sources = SchemaOption.Load(pr, schemas);
            var (dumpA, ramA) = Read(pr, pr.GetValue(a)!, sources);
            var (dumpB, ramB) = Read(pr, pr.GetValue(b)!, sources);
            var diff = StateDiff.Compare(dumpA, dumpB, ramA, ramB);
            if (pr.GetValue(json)) WriteJson(diff, output);
            else WriteText(diff, output);
            return diff.Equal ? 0 : 1;
        }, invalidInput: Program.UsageOrIo));
        return cmd;
    }

    // One pass: the device sections and the RAM image together (and whatever else wants the RAM items).
    internal static (StateDump, RamImage) Read(ParseResult pr, string path, List<ISchemaSource> sources, Action<VmStateReader>? onItem = null)
    {
        using var input = CommandRunner.OpenState(pr, path);
        var ram = new RamImage();
        var dump = StateDump.Read(input.Stream, sources, r =>
        {
            ram.Add(r);
            onItem?.Invoke(r);
        });
        dump.Info.Container = input.Container;
        return (dump, ram);
    }

    private static void WriteText(StateDiff diff, CliOutput output)
    {
        foreach (var p in diff.OnlyInA) output.Out.WriteLine($"only in A: {p}");
        foreach (var p in diff.OnlyInB) output.Out.WriteLine($"only in B: {p}");
        foreach (var (path, va, vb) in diff.Fields) output.Out.WriteLine($"{path}: {va ?? "(absent)"} -> {vb ?? "(absent)"}");
        foreach (var (block, pages) in diff.Ram) output.Out.WriteLine($"ram {block}: {pages} page(s) differ");
    }

    private static void WriteJson(StateDiff diff, CliOutput output) => output.WriteJson(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("equal", diff.Equal);
        w.WriteStartArray("only_in_a");
        foreach (var p in diff.OnlyInA) w.WriteStringValue(p);
        w.WriteEndArray();
        w.WriteStartArray("only_in_b");
        foreach (var p in diff.OnlyInB) w.WriteStringValue(p);
        w.WriteEndArray();
        w.WriteStartArray("fields");
        foreach (var (path, va, vb) in diff.Fields)
        {
            w.WriteStartObject();
            w.WriteString("path", path);
            if (va is null) w.WriteNull("a"); else w.WriteString("a", va);
            if (vb is null) w.WriteNull("b"); else w.WriteString("b", vb);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("ram");
        foreach (var (block, pages) in diff.Ram)
        {
            w.WriteStartObject();
            w.WriteString("block", block);
            w.WriteNumber("pages", pages);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
