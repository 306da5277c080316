using Qevm.Tests.Interop;

namespace Qevm.Tests.Cli;

/// <summary>
/// <c>qevm completion bash|zsh|fish</c>: each script, loaded by the real shell, completes commands, subcommands,
/// options, option values and file names where the command line has them.
/// </summary>
public sealed class CompletionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-completion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Script(string shell)
    {
        var (code, o, e) = QevmCli.Run("completion", shell);
        Assert.True(code == 0, e);
        var path = Path.Combine(_dir, "qevm." + shell);
        File.WriteAllText(path, o);
        File.WriteAllBytes(Path.Combine(_dir, "guest.mig"), []);
        return path;
    }

    // What the script offers for a command line whose last word is being completed (bash and zsh: the words).
    private string[] Complete(string shell, string script, params string[] words)
    {
        string array = string.Join(' ', words.Select(w => "'" + w + "'"));
        string run = shell switch
        {
            "bash" => $"cd '{_dir}' && source '{script}' && COMP_WORDS=({array}) && COMP_CWORD={words.Length - 1} && _qevm && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            // zsh's compgen leaves the filtering by the typed prefix to zsh itself: the candidates are all there.
            "zsh" => $"cd '{_dir}' && autoload -U compinit && compinit -u && source '{script}' && COMP_WORDS=({array}) && COMP_CWORD={words.Length - 1} && _qevm && print -l -- \"${{COMPREPLY[@]}}\"",
            _ => $"cd '{_dir}'; source '{script}'; complete -C \"{string.Join(' ', words)}\"",
        };
        var (code, o, e) = ProgramRunner.Run(shell, "-c", run);
        Assert.True(code == 0, $"{shell}: {e}");
        return [.. o.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0])];
    }

    [Theory]
    [InlineData("bash")]
    [InlineData("zsh")]
    [InlineData("fish")]
    public void Script_CompletesCommandsOptionsValuesAndFiles(string shell)
    {
        var script = Script(shell);
        bool filtered = shell != "zsh";
        var commands = Complete(shell, script, "qevm", "ch");
        Assert.Contains("check", commands);
        if (filtered) Assert.Equal(["check"], commands);
        else Assert.Contains("info", commands);
        Assert.Contains("--json", Complete(shell, script, "qevm", "check", "--j"));
        Assert.Equal(["bzip2", "gzip", "raw", "zstd"], Complete(shell, script, "qevm", "convert", "x.mig", "--compress", "").Order());
        Assert.Equal(["exec", "load-devices", "migrate-to-file", "save-devices", "status"], Complete(shell, script, "qevm", "qmp", "").Order());
        Assert.Equal(["bash", "fish", "zsh"], Complete(shell, script, "qevm", "completion", "").Order());
        Assert.Contains("harvest", Complete(shell, script, "qevm", "schema", ""));
        // A file argument and a file-valued option complete file names; a machine name does not.
        if (filtered) Assert.Equal(["guest.mig"], Complete(shell, script, "qevm", "check", "gu"));
        Assert.Contains("guest.mig", Complete(shell, script, "qevm", "check", "--schema", shell == "zsh" ? "" : "gu"));
        Assert.DoesNotContain("guest.mig", Complete(shell, script, "qevm", "check", "x.mig", "--machine", ""));
    }

    [Fact]
    public void UnknownShell_IsAUsageError()
    {
        var (code, _, e) = QevmCli.Run("completion", "tcsh");
        Assert.Equal(2, code);
        Assert.Contains("tcsh", e, StringComparison.Ordinal);
    }
}

/// <summary>The man page made from the command definitions renders without a groff warning and has every command.</summary>
public sealed class ManPageTests
{
    [Fact]
    public void ManPage_RendersAndListsEveryCommand()
    {
        var (code, page, e) = QevmCli.Run("man");
        Assert.True(code == 0, e);
        var path = Path.Combine(Path.GetTempPath(), $"qevm-{Guid.NewGuid():N}.1");
        File.WriteAllText(path, page);
        try
        {
            var (rc, text, warnings) = ProgramRunner.Run("groff", "-man", "-Tutf8", "-ww", path);
            Assert.Equal(0, rc);
            Assert.Equal("", warnings);
            // Bold and underline come as overstrikes (c BACKSPACE c, _ BACKSPACE c).
            text = System.Text.RegularExpressions.Regex.Replace(text, ".\b", "");
            foreach (var command in new[] { "qevm info FILE", "qevm check FILE", "qevm schema harvest", "qevm qmp save-devices", "qevm completion SHELL" })
                Assert.Contains(command, text.Replace("\u2010", "-", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
