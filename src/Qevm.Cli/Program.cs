using System.CommandLine;
using System.CommandLine.Help;
using Qevm.Cli.Commands;

namespace Qevm.Cli;

/// <summary>Entry point: parses the command line, runs one command, maps errors to exit codes.</summary>
public static class Program
{
    /// <summary>Exit code for invalid input.</summary>
    public const int InvalidInput = 1;

    /// <summary>Exit code for usage and I/O errors.</summary>
    public const int UsageOrIo = 2;

    /// <summary>Runs the CLI with <paramref name="args"/>, writing to the given writers (tests pass their own).</summary>
    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = new CliOutput(stdout ?? Console.Out, stderr ?? Console.Error, stdout is null && !Console.IsOutputRedirected);
        // A plain command named "qevm" rather than RootCommand, whose name would be the assembly's (Qevm.Cli).
        var root = new Command("qevm", "Read, check, decode and convert QEMU VM-state streams (device-state files, migration streams, savevm states)")
        {
            new HelpOption(),
            new VersionOption(),
        };
        CommandRunner.AddContainerOptions(root);
        root.Subcommands.Add(InfoCommand.Create(output));
        root.Subcommands.Add(CheckCommand.Create(output));
        root.Subcommands.Add(ConvertCommand.Create(output));
        root.Subcommands.Add(DumpCommand.Create(output));
        root.Subcommands.Add(SchemaCommand.Create(output));
        root.Subcommands.Add(SetCommand.Create(output));
        root.Subcommands.Add(DiffCommand.Create(output));
        root.Subcommands.Add(ComposeCommand.Create(output));
        root.Subcommands.Add(SpliceCommand.Create(output));
        root.Subcommands.Add(ExtractCommand.Create(output));
        root.Subcommands.Add(MemoryCommand.Create(output));
        root.Subcommands.Add(ExportCommand.Create(output));
        root.Subcommands.Add(CpuCommand.Create(output));
        root.Subcommands.Add(ServeCommand.Create(output));
        root.Subcommands.Add(QmpCommand.Create(output));
        root.Subcommands.Add(SnapshotsCommand.Create(output));
        root.Subcommands.Add(LibvirtXmlCommand.Create(output));
        root.Subcommands.Add(ReportCommand.Create(output));
        root.Subcommands.Add(CompletionCommand.Create(output, root));
        root.Subcommands.Add(ManCommand.Create(output, root));
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) output.Error.WriteLine("qevm: " + e.Message);
            return UsageOrIo;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output.Out, Error = output.Error, EnableDefaultExceptionHandler = false });
    }

    private static int Main(string[] args) => Run(args);
}
