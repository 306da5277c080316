using System.CommandLine;
using System.Reflection;
using Qevm.Cli.Rendering;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm man</c> (hidden): prints the man page qevm.1, which scripts/pack.sh writes from it.</summary>
internal static class ManCommand
{
    public static Command Create(CliOutput output, Command root)
    {
        var cmd = new Command("man", "Print the man page (roff)") { Hidden = true };
        cmd.SetAction(_ => CommandRunner.Run(output, () =>
        {
            var version = typeof(ManCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
            output.Out.Write(ManPage.Render(root, version.Split('+')[0]));
            return 0;
        }));
        return cmd;
    }
}
