using System.CommandLine;
using System.Text.Json;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm schema harvest FILE... -o CATALOGUE.json</c>: collect the descriptions of streams into one catalogue.</summary>
internal static class SchemaCommand
{
    public static Command Create(CliOutput output)
    {
        var files = new Argument<string[]>("FILE") { Description = "migration streams with a JSON trailer", Arity = ArgumentArity.OneOrMore };
        var outOption = new Option<string>("--output", "-o") { Description = "catalogue file to write", Required = true };
        var harvest = new Command("harvest", "Collect the VMState descriptions of streams into a catalogue, keyed by name and version, with every variant") { files, outOption };
        harvest.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var catalogue = new SchemaCatalogue();
            int sections = 0;
            foreach (var path in pr.GetValue(files)!)
            {
                using var input = CommandRunner.OpenState(pr, path);
                int n = catalogue.Harvest(input.Stream, Path.GetFileName(path));
                if (n == 0) output.Error.WriteLine($"qevm: warning: {path} has no JSON trailer: nothing harvested");
                sections += n;
            }
            var dst = pr.GetValue(outOption)!;
            AtomicFile.Write(dst, s =>
            {
                using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
                catalogue.Write(w);
            });
            output.Out.WriteLine($"{dst}: {catalogue.Count} descriptions, {catalogue.VariantCount} variants, from {sections} sections");
            return 0;
        }));
        return new Command("schema", "Schemas: build a catalogue of descriptions, compare two QEMUs' descriptions") { harvest, SchemaDiffCommand.Create(output) };
    }
}
