using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>qevm schema harvest FILE... -o CATALOGUE.json</c>: collect the descriptions of streams into one catalogue;
/// <c>qevm schema list [qemu-X.Y] [--json]</c>: what the built-in QEMU version database holds;
/// <c>qevm schema build-database DIR -o FILE</c>: build that database (scripts/build-version-db.sh).
/// </summary>
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
        return new Command("schema", "Schemas: build a catalogue of descriptions, list the built-in QEMU versions, compare two QEMUs' descriptions") { harvest, CreateList(output), CreateBuildDatabase(output), SchemaDiffCommand.Create(output) };
    }

    // `schema list`: the versions, machine types and aliases of the built-in database; with qemu-X.Y, that version's
    // machine types one a line with their RAM blocks.
    private static Command CreateList(CliOutput output)
    {
        var version = new Argument<string?>("QEMU") { Description = "one version (qemu-X.Y): its machine types with RAM blocks and sections", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "print the database's contents as JSON" };
        var list = new Command("list", "What the built-in database of QEMU versions holds: versions, machine types, aliases") { version, json };
        list.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var db = QemuVersionDatabase.BuiltIn;
            var versions = pr.GetValue(version) is { } v
                ? [db.GetVersion(v)]
                : db.Versions;
            if (pr.GetValue(json))
            {
                output.WriteJson(w => WriteListJson(w, versions));
                return 0;
            }
            foreach (var e in versions)
            {
                output.Out.WriteLine($"qemu-{e.Version}: {e.Build}, {e.Machines.Count} machine types");
                output.Out.WriteLine("  aliases: " + string.Join(", ", e.Aliases.Select(a => $"{a.Key} = {a.Value}")));
                if (pr.GetValue(version) is null)
                {
                    foreach (var family in e.Machines.GroupBy(m => m.Name[..(m.Name.LastIndexOf('-') + 1)]))
                        output.Out.WriteLine($"  {family.Key}*: " + string.Join(" ", family.Select(m => m.Name[family.Key.Length..])));
                    continue;
                }
                foreach (var m in e.Machines)
                    output.Out.WriteLine($"  {m.Name}{(m.Aliases.Count > 0 ? " (" + string.Join(", ", m.Aliases) + ")" : "")}: {m.Sections.Count} sections, {m.DescriptionCount} descriptions, RAM blocks "
                        + string.Join(", ", m.RamBlocks.Select(b => $"{b.Name} 0x{b.Size.ToString("x", CultureInfo.InvariantCulture)}{(b.Sizing == RamBlockSizing.Fixed ? "" : " (" + (b.Sizing == RamBlockSizing.Memory ? "-m" : "resizeable") + ")")}")));
            }
            return 0;
        }));
        return list;
    }

    private static void WriteListJson(Utf8JsonWriter w, IEnumerable<QemuVersionEntry> versions)
    {
        w.WriteStartObject();
        w.WriteStartArray("versions");
        foreach (var e in versions)
        {
            w.WriteStartObject();
            w.WriteString("version", e.Version);
            w.WriteString("build", e.Build);
            w.WriteStartObject("aliases");
            foreach (var (alias, machine) in e.Aliases) w.WriteString(alias, machine);
            w.WriteEndObject();
            w.WriteStartArray("machines");
            foreach (var m in e.Machines)
            {
                w.WriteStartObject();
                w.WriteString("name", m.Name);
                w.WriteStartArray("aliases");
                foreach (var a in m.Aliases) w.WriteStringValue(a);
                w.WriteEndArray();
                w.WriteNumber("descriptions", m.DescriptionCount);
                w.WriteStartArray("ram_blocks");
                foreach (var b in m.RamBlocks)
                {
                    w.WriteStartObject();
                    w.WriteString("name", b.Name);
                    w.WriteNumber("size", b.Size);
                    w.WriteString("sizing", TargetRamBlock.SizingName(b.Sizing));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("sections");
                foreach (var s in m.Sections)
                {
                    w.WriteStartObject();
                    w.WriteString("idstr", s.Idstr);
                    w.WriteNumber("instance_id", s.Instance);
                    w.WriteNumber("version_id", s.Version);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    // `schema build-database`: the packing step of scripts/build-version-db.sh (hidden: the script is the way to run it).
    private static Command CreateBuildDatabase(CliOutput output)
    {
        var dir = new Argument<string>("DIR") { Description = "what scripts/build-version-db.sh collected: one folder per QEMU version" };
        var outOption = new Option<string>("--output", "-o") { Description = "database file to write", Required = true };
        var build = new Command("build-database", "Build the QEMU version database from -dump-vmstate outputs and streams (scripts/build-version-db.sh)") { dir, outOption };
        build.Hidden = true;
        build.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var dst = pr.GetValue(outOption)!;
            QemuVersionDatabaseBuilder.Statistics? stats = null;
            AtomicFile.Write(dst, s => stats = QemuVersionDatabaseBuilder.Build(pr.GetValue(dir)!, s));
            output.Out.WriteLine($"{dst}: {stats!.Versions} QEMU versions, {stats.Machines} machine types, {stats.Descriptions} distinct descriptions of {stats.DescriptionReferences}, {new FileInfo(dst).Length} bytes");
            return 0;
        }));
        return build;
    }
}
