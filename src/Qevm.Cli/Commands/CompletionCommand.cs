using System.CommandLine;
using Qevm.Cli.Rendering;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm completion bash|zsh|fish</c>: prints a completion script for the shell.</summary>
internal static class CompletionCommand
{
    public static Command Create(CliOutput output, Command root)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(CompletionScript.Shells);
        var cmd = new Command("completion", "Print a shell completion script: source <(qevm completion bash)") { shell };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            output.Out.Write(CompletionScript.For(pr.GetValue(shell)!, root));
            return 0;
        }));
        return cmd;
    }
}
