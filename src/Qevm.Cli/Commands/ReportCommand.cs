using System.CommandLine;
using System.Text;
using Qevm.Cli.Rendering;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm report FILE -o report.html</c>: one self-contained HTML page about a stream, built in one pass.</summary>
internal static class ReportCommand
{
    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var outOption = new Option<string>("--output", "-o") { Description = "HTML file to write; - for standard output", Required = true };
        var schema = SchemaOption.Create();
        var cmd = new Command("report", "Write a self-contained HTML report: container, sections, a RAM map per block, passes, findings") { file, outOption, schema };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            string path = pr.GetValue(file)!;
            var map = new RamMap();
            StreamInfo? info = null;
            VmStateFormatException? error = null;
            using (var input = CommandRunner.OpenState(pr, path))
            {
                try
                {
                    info = StreamInfo.Read(input.Stream, SchemaOption.ReaderOptions(pr, schema), null, map.Add, out _);
                }
                catch (VmStateFormatException e)
                {
                    // The page still says what is wrong; the exit code says it too.
                    error = e;
                }
                if (info is not null) info.Container = input.Container;
            }
            CommandRunner.WriteOutput(pr.GetValue(outOption)!, o =>
            {
                using var w = new StreamWriter(o, new UTF8Encoding(false), leaveOpen: true);
                HtmlReport.Write(w, Path.GetFileName(path), info, map, error);
            });
            if (error is not null) output.Error.WriteLine("qevm: invalid: " + error.Message);
            return error is null ? 0 : Program.InvalidInput;
        }));
        return cmd;
    }
}
