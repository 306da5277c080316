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
        var schemas = SchemaOption.Create();
        var sections = new Option<string[]>("--section") { HelpName = "IDSTR[#INSTANCE]", Description = "only these sections: IDSTR or IDSTR#INSTANCE (repeatable)" };
        var format = new Option<string?>("--format") { Description = "analyze: print what QEMU's analyze-migration.py -d state prints" };
        format.AcceptOnlyFromAmong("analyze");
        var cmd = new Command("dump", "Decode every field of every device section") { file, json, schemas, sections, format };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var selectors = pr.GetValue(sections) ?? [];
            // The JSON of a whole stream also lists every record (read a second time, written as it goes), so
            // that `compose` can write the stream again.
            bool records = pr.GetValue(json) && selectors.Length == 0 && pr.GetValue(format) is null;
            StateDump dump;
            using var rereadable = records ? CommandRunner.OpenRereadable(pr, pr.GetValue(file)!) : null;
            using (var input = rereadable?.Open() ?? CommandRunner.OpenState(pr, pr.GetValue(file)!))
            {
                dump = StateDump.Read(input.Stream, SchemaOption.Load(pr, schemas));
                dump.Info.Container = input.Container;
            }
            Func<SectionState, bool>? select = selectors.Length == 0 ? null : s => Array.Exists(selectors, sel => sel == s.Path || sel == s.Header.Idstr);
            if (records)
            {
                using var again = rereadable!.Open();
                using var stdout = new TextWriterStream(output.Out);
                using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true })) StateJson.Write(dump, w, null, again.Stream);
                output.Out.WriteLine();
                return 0;
            }
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
