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
        var compress = CommandRunner.CompressOption();
        var cmd = new Command("convert", "Re-encode a stream record by record (byte-identical without transform options); a libvirt image stays one, a qcow2 snapshot's VM state comes out as a stream") { file, outOption, schema, compress };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var src = pr.GetValue(file)!;
            var dst = pr.GetValue(outOption)!;
            if (dst != "-" && src != "-" && AtomicFile.SameFile(src, dst))
                throw new ArgumentException($"refusing to write over the input '{src}'");
            var options = SchemaOption.ReaderOptions(pr, schema);
            using var input = CommandRunner.OpenState(pr, src);
            CommandRunner.WriteState(pr, dst, input.Container, o => StreamCopier.Copy(input.Stream, o, options), streamOut: true);
            return 0;
        }));
        return cmd;
    }
}
