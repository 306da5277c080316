using System.CommandLine;
using Qevm.Cli.Rendering;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm info FILE [--json]</c>: the record table of a stream.</summary>
internal static class InfoCommand
{
    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var json = new Option<bool>("--json") { Description = "print the record table as JSON" };
        var schema = SchemaOption.Create();
        var cmd = new Command("info", "Show the records of a stream: configuration, commands, sections, RAM, trailer") { file, json, schema };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            StreamInfo info;
            using (var input = CommandRunner.OpenState(pr, pr.GetValue(file)!))
                info = StreamInfo.Read(input, SchemaOption.ReaderOptions(pr, schema));
            if (pr.GetValue(json))
            {
                output.WriteJson(info.WriteJson);
            }
            else
            {
                InfoRenderer.Render(info, output);
            }
            return 0;
        }));
        return cmd;
    }
}
