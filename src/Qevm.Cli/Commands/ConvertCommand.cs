using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm convert FILE -o OUT</c>: re-encodes a stream through the reader and the writer.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("FILE") { Description = "input stream; - for standard input" };
        var outOption = new Option<string>("--output", "-o") { Description = "output file; - for standard output", Required = true };
        var schema = SchemaOption.Create();
        var cmd = new Command("convert", "Re-encode a stream record by record (byte-identical without transform options)") { file, outOption, schema };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var src = pr.GetValue(file)!;
            var dst = pr.GetValue(outOption)!;
            if (dst != "-" && src != "-" && AtomicFile.SameFile(src, dst))
                throw new ArgumentException($"refusing to write over the input '{src}'");
            var options = SchemaOption.ReaderOptions(pr, schema);
            using var input = CommandRunner.OpenInput(src);
            CommandRunner.WriteOutput(dst, o => StreamCopier.Copy(input, o, options));
            return 0;
        }));
        return cmd;
    }
}
