using System.CommandLine;
using Qevm.Cli.Rendering;
using Spectre.Console;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm extract FILE -o DIR [--ram-only | --sections-only]</c>: RAM blocks, device sections, description and state as files.</summary>
internal static class ExtractCommand
{
    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var outOption = new Option<string>("--output", "-o") { Description = "folder to write into", Required = true };
        var ramOnly = new Option<bool>("--ram-only") { Description = "only the RAM blocks" };
        var sectionsOnly = new Option<bool>("--sections-only") { Description = "only the device sections, desc.json and state.json" };
        var schemas = SchemaOption.Create();
        var cmd = new Command("extract", "Write RAM blocks (sparse files), device sections (.bin), desc.json and state.json") { file, outOption, ramOnly, sectionsOnly, schemas };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            if (pr.GetValue(ramOnly) && pr.GetValue(sectionsOnly)) throw new ArgumentException("give --ram-only or --sections-only, not both");
            var dir = pr.GetValue(outOption)!;
            using var state = CommandRunner.OpenState(pr, pr.GetValue(file)!);
            var input = state.Stream;
            long total = input.CanSeek ? input.Length : 0;
            List<string> files = [];
            void Run(IProgress<long>? progress) => files = Extractor.Extract(input, dir, new ExtractOptions
            {
                Ram = !pr.GetValue(sectionsOnly),
                Sections = !pr.GetValue(ramOnly),
                Schemas = SchemaOption.Load(pr, schemas),
                Progress = progress,
            });
            if (output.IsTerminal && total > 0)
            {
                InfoRenderer.CreateConsole(output).Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("extract", maxValue: total);
                        Run(new Progress<long>(p => task.Value = p));
                        task.Value = total;
                    });
            }
            else
            {
                Run(null);
            }
            output.Out.WriteLine($"{dir}: {files.Count} files");
            return 0;
        }));
        return cmd;
    }
}
