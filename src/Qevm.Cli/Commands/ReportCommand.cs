using Qevm.Guest;
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
        var diff = new Option<string?>("--diff") { HelpName = "FILE", Description = "also show what differs from this stream (as qevm diff does)" };
        var schema = SchemaOption.Create();
        var cmd = new Command("report", "Write a self-contained HTML report: container, sections, a RAM map per block, passes, findings") { file, outOption, diff, schema };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            string path = pr.GetValue(file)!;
            var map = new RamMap();
            StreamInfo? info = null;
            VmStateFormatException? error = null;
            StateDiff? difference = null;
            StateDump? decoded = null;
            if (pr.GetValue(diff) is { } other)
            {
                // Both decoded, as qevm diff reads them (an invalid file is then an error of the command).
                var sources = SchemaOption.Load(pr, schema);
                var (dumpA, ramA) = DiffCommand.Read(pr, path, sources, map.Add);
                var (dumpB, ramB) = DiffCommand.Read(pr, other, sources);
                info = dumpA.Info;
                decoded = dumpA;
                difference = StateDiff.Compare(dumpA, dumpB, ramA, ramB);
            }
            else
            {
                using var input = CommandRunner.OpenState(pr, path);
                try
                {
                    decoded = StateDump.Read(input.Stream, SchemaOption.Load(pr, schema), map.Add);
                    info = decoded.Info;
                    info.Container = input.Container;
                }
                catch (VmStateFormatException e)
                {
                    // The page still says what is wrong; the exit code says it too.
                    error = e;
                }
            }
            CommandRunner.WriteOutput(pr.GetValue(outOption)!, o =>
            {
                using var w = new StreamWriter(o, new UTF8Encoding(false), leaveOpen: true);
                HtmlReport.Write(w, Path.GetFileName(path), info, map, error, difference is null ? null : (Path.GetFileName(pr.GetValue(diff)!), difference), Cpus(decoded));
            });
            if (error is not null) output.Error.WriteLine("qevm: invalid: " + error.Message);
            return error is null ? 0 : Program.InvalidInput;
        }));
        return cmd;
    }

    // The CPUs' registers where the stream's cpu sections are decoded; otherwise the page says why not.
    private static (IReadOnlyList<X86CpuState>? Cpus, string? Why) Cpus(StateDump? dump)
    {
        if (dump is null) return (null, null);
        try
        {
            return (X86CpuState.FromState(dump), null);
        }
        catch (GuestLayoutException e)
        {
            return (null, e.Message);
        }
    }
}
