using System.Diagnostics;

namespace Qevm.Tests.Interop;

/// <summary>Runs an external program to its end; a missing program fails the test (never skips it).</summary>
internal static class ProgramRunner
{
    public static (int Code, string Out, string Err) Run(string program, params string[] args) => Run(program, args, null);

    /// <summary>Runs with extra environment variables.</summary>
    public static (int Code, string Out, string Err) Run(string program, string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException(program + " did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"{program} is needed by this test and could not be started ({e.Message}); scripts/test.sh installs it");
            throw;
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromSeconds(300)))
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail($"{program} {string.Join(' ', args)} did not finish in 300 s");
            }
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Runs and asserts exit 0; returns standard output.</summary>
    public static string Check(string program, params string[] args)
    {
        var (code, o, e) = Run(program, args);
        Assert.True(code == 0, $"{program} {string.Join(' ', args)} exited {code}: {e}{o}");
        return o;
    }
}
