using System.CommandLine;
using System.Text.Json;
using Qevm.Cli.Rendering;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm dump FILE [--schema S]... [--json] [--section SEL]... [--format analyze]</c>: every field of every device section.</summary>
internal static class DumpCommand
{
    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var json = new Option<bool>("--json") { Description = "print sections and fields as JSON (paths, types, offsets, sizes, values)" };
        var schemas = new Option<string[]>("--schema")
        {
            Description = "description source, tried after the file's own trailer: a migration stream of the same QEMU and devices, trailer JSON, a catalogue, or -dump-vmstate output (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var sections = new Option<string[]>("--section") { Description = "only these sections: IDSTR or IDSTR#INSTANCE (repeatable)" };
        var format = new Option<string?>("--format") { Description = "analyze: print what QEMU's analyze-migration.py -d state prints" };
        format.AcceptOnlyFromAmong("analyze");
        var cmd = new Command("dump", "Decode every field of every device section") { file, json, schemas, sections, format };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var sources = new List<ISchemaSource>();
            foreach (var path in pr.GetValue(schemas) ?? []) sources.Add(SchemaFile.Load(path));
            StateDump dump;
            using (var input = CommandRunner.OpenInput(pr.GetValue(file)!))
                dump = StateDump.Read(input, sources);
            var selectors = pr.GetValue(sections) ?? [];
            Func<SectionState, bool>? select = selectors.Length == 0 ? null : s => Array.Exists(selectors, sel => sel == s.Path || sel == s.Header.Idstr);
            if (pr.GetValue(format) == "analyze")
            {
                using var ms = new MemoryStream();
                using (var w = new Utf8JsonWriter(ms, AnalyzeFormat.WriterOptions)) AnalyzeFormat.Write(dump, w);
                output.Out.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
            }
            else if (pr.GetValue(json))
            {
                output.WriteJson(w => StateJson.Write(dump, w, select));
            }
            else
            {
                DumpRenderer.Render(dump, select, output);
            }
            return 0;
        }));
        return cmd;
    }
}
