using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm set FILE -o OUT PATH=VALUE... [--schema S]... [--in-place]</c>: change fields by the paths <c>dump</c> prints.</summary>
internal static class SetCommand
{
    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var assignments = new Argument<string[]>("PATH=VALUE") { Description = "fields to change: decimal, 0x hex, negative for signed fields, true/false, hex bytes for buffers", Arity = ArgumentArity.OneOrMore };
        var outOption = new Option<string?>("--output", "-o") { Description = "output file (a temporary file beside it is renamed into place)" };
        var inPlace = new Option<bool>("--in-place") { Description = "replace FILE itself (through a temporary file and a rename)" };
        var schemas = SchemaOption.Create();
        var compress = CommandRunner.CompressOption();
        var cmd = new Command("set", "Change device fields and write the stream again (in the same container: a libvirt image stays one)") { file, assignments, outOption, inPlace, schemas, compress };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var src = pr.GetValue(file)!;
            var dst = pr.GetValue(outOption);
            bool overwrite = pr.GetValue(inPlace);
            if (overwrite && dst is not null) throw new ArgumentException("give either -o OUT or --in-place");
            if (!overwrite && dst is null) throw new ArgumentException("give -o OUT (or --in-place to replace the input)");
            if (overwrite && src == "-") throw new ArgumentException("--in-place needs a file, not standard input");
            if (!overwrite && dst != "-" && src != "-" && AtomicFile.SameFile(src, dst!))
                throw new ArgumentException($"refusing to write over the input '{src}' (use --in-place)");
            var edits = new List<(string, string)>();
            foreach (var a in pr.GetValue(assignments)!)
            {
                int eq = a.LastIndexOf('=');
                if (eq <= 0) throw new ArgumentException($"'{a}' is not PATH=VALUE");
                edits.Add((a[..eq], a[(eq + 1)..]));
            }
            using var input = CommandRunner.OpenRereadable(pr, src);
            VmStateContainer? container;
            using (var first = input.Open())
            {
                // Refused before reading the whole state.
                CommandRunner.RefuseSnapshotWrite(first.Container);
                container = first.Container;
            }
            var schemaSources = SchemaOption.Load(pr, schemas);
            CommandRunner.WriteState(pr, overwrite ? src : dst!, container, o => StateEditor.Edit(() => input.Open().Stream, o, edits, schemaSources));
            return 0;
        }));
        return cmd;
    }
}
