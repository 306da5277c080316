namespace Qevm.Tests.Cli;

/// <summary>Runs the CLI in-process, as a user would run <c>qevm ARGS</c>, and captures what it printed.</summary>
internal static class QevmCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = global::Qevm.Cli.Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
