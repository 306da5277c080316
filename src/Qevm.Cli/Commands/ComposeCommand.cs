using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm compose STATE.json -o OUT</c>: write a stream from the <c>dump --json</c> form.</summary>
internal static class ComposeCommand
{
    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("STATE.json") { Description = "the output of `qevm dump --json FILE` (edited or not); - for standard input" };
        var outOption = new Option<string>("--output", "-o") { Description = "stream to write; - for standard output", Required = true };
        var compress = CommandRunner.CompressOption();
        var cmd = new Command("compose", "Write a stream from its `dump --json` form (in the container the dump names: a libvirt image stays one)") { file, outOption, compress };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var src = pr.GetValue(file)!;
            byte[] json;
            using (var input = CommandRunner.OpenInput(src))
            using (var ms = new MemoryStream())
            {
                input.CopyTo(ms);
                json = ms.ToArray();
            }
            try
            {
                var container = StateComposer.ReadContainer(json);
                CommandRunner.WriteState(pr, pr.GetValue(outOption)!, container, o => StateComposer.Compose(json, o));
            }
            catch (VmStateFormatException e) when (e.JsonPath == "$.records" && e.Found == "nothing")
            {
                output.Error.WriteLine("qevm: invalid: " + e.Message + " (give the output of `qevm dump --json` without --section)");
                return Program.InvalidInput;
            }
            return 0;
        }));
        return cmd;
    }
}
