using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.Text;

namespace Qevm.Cli.Rendering;

/// <summary>
/// Shell completion scripts made from the command definitions themselves (so they never fall behind): commands
/// and subcommands, each one's options, the values of options that have a fixed set, and file names for file
/// arguments and file-valued options.
/// </summary>
internal static class CompletionScript
{
    /// <summary>The shells a script is made for.</summary>
    public static readonly string[] Shells = ["bash", "zsh", "fish"];

    /// <summary>The script for <paramref name="shell"/>.</summary>
    public static string For(string shell, Command root) => shell switch
    {
        "bash" => Bash(root),
        // zsh runs the bash function through its bash completion layer.
        "zsh" => "#compdef qevm\nautoload -U +X bashcompinit && bashcompinit\n" + Bash(root),
        "fish" => Fish(root),
        _ => throw new ArgumentException($"no completion for '{shell}': bash, zsh or fish"),
    };

    private sealed record Node(string Path, Command Command, List<Option> Options);

    // Every command with its path ("qevm", "qevm schema harvest") and the options it takes (its own and the
    // recursive ones of its ancestors).
    private static List<Node> Walk(Command root)
    {
        var nodes = new List<Node>();
        void Visit(Command c, string path, List<Option> inherited)
        {
            var options = new List<Option>(inherited);
            foreach (var o in c.Options) if (!options.Contains(o)) options.Add(o);
            nodes.Add(new Node(path, c, options));
            var passed = inherited.Concat(c.Options.Where(o => o.Recursive || o is HelpOption)).Distinct().ToList();
            foreach (var s in c.Subcommands) if (!s.Hidden) Visit(s, path + " " + s.Name, passed);
        }
        Visit(root, root.Name, []);
        return nodes;
    }

    private static bool TakesValue(Option o) => o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool);

    // Dash names only, and of those no "-?" (a pattern character in the shells).
    private static IEnumerable<string> Names(Option o) =>
        new[] { o.Name }.Concat(o.Aliases).Where(n => n.Length > 1 && n[0] == '-' && n.Skip(1).All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-')).Distinct();

    private static string[] Values(Option o) => [.. o.GetCompletions(CompletionContext.Empty).Select(c => c.Label)];

    // A string value without a fixed set is a file unless its help name says otherwise (NAME, ID, IDSTR...).
    private static bool IsPath(Option o) =>
        TakesValue(o) && Values(o).Length == 0 && (o.ValueType == typeof(string) || o.ValueType == typeof(string[]))
        && (o.HelpName is null || o.HelpName.Contains("FILE", StringComparison.Ordinal) || o.HelpName.Contains("PATH", StringComparison.Ordinal) || o.HelpName.Contains("DIR", StringComparison.Ordinal));

    private static string[] ArgumentValues(Command c) => [.. c.Arguments.SelectMany(a => a.GetCompletions(CompletionContext.Empty)).Select(i => i.Label)];

    private static string Bash(Command root)
    {
        var nodes = Walk(root);
        var b = new StringBuilder();
        b.Append("# qevm completion for bash (qevm completion bash > /etc/bash_completion.d/qevm)\n");
        b.Append("_qevm() {\n    local cur prev path i subs opts values\n");
        // zsh (through bashcompinit) counts COMP_WORDS from 1; within the function, count from 0 as bash does.
        b.Append("    [[ -n \"${ZSH_VERSION-}\" ]] && setopt local_options ksh_arrays\n");
        b.Append("    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n    prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n    path=qevm\n");
        b.Append("    for ((i = 1; i < COMP_CWORD; i++)); do\n        case \"$path ${COMP_WORDS[i]}\" in\n");
        b.Append("            ").Append(string.Join("|", nodes.Skip(1).Select(n => Quote(n.Path)))).Append(") path=\"$path ${COMP_WORDS[i]}\" ;;\n");
        b.Append("        esac\n    done\n");
        b.Append("    case \"$path|$prev\" in\n");
        foreach (var n in nodes)
        {
            foreach (var o in n.Options.Where(TakesValue))
            {
                string patterns = string.Join("|", Names(o).Select(name => Quote(n.Path + "|" + name)));
                var values = Values(o);
                string action = values.Length > 0 ? $"COMPREPLY=($(compgen -W {Quote(string.Join(' ', values))} -- \"$cur\"))"
                    : IsPath(o) ? "COMPREPLY=($(compgen -f -- \"$cur\"))" : "COMPREPLY=()";
                b.Append("        ").Append(patterns).Append(") ").Append(action).Append("; return ;;\n");
            }
        }
        b.Append("    esac\n    case \"$path\" in\n");
        foreach (var n in nodes)
        {
            var subs = n.Command.Subcommands.Where(s => !s.Hidden).Select(s => s.Name);
            var opts = n.Options.Where(o => !o.Hidden).SelectMany(Names);
            b.Append("        ").Append(Quote(n.Path)).Append(") subs=").Append(Quote(string.Join(' ', subs)))
                .Append("; opts=").Append(Quote(string.Join(' ', opts))).Append("; values=").Append(Quote(string.Join(' ', ArgumentValues(n.Command)))).Append(" ;;\n");
        }
        b.Append("    esac\n");
        b.Append("    if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n");
        b.Append("    elif [[ -n \"$subs\" ]]; then COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n");
        b.Append("    elif [[ -n \"$values\" ]]; then COMPREPLY=($(compgen -W \"$values\" -- \"$cur\"))\n");
        b.Append("    else COMPREPLY=($(compgen -f -- \"$cur\")); fi\n}\n");
        b.Append("complete -o filenames -F _qevm qevm\n");
        return b.ToString();
    }

    private static string Fish(Command root)
    {
        var nodes = Walk(root);
        var b = new StringBuilder();
        b.Append("# qevm completion for fish (qevm completion fish > ~/.config/fish/completions/qevm.fish)\n");
        b.Append("complete -c qevm -e\n");
        // The command path typed so far: the words that name commands.
        b.Append("function __qevm_path\n    set -l path qevm\n    for w in (commandline -opc)[2..-1]\n        switch \"$path $w\"\n");
        b.Append("            case ").Append(string.Join(" ", nodes.Skip(1).Select(n => FishQuote(n.Path)))).Append("\n                set path \"$path $w\"\n");
        b.Append("        end\n    end\n    echo $path\nend\n");
        foreach (var n in nodes)
        {
            string cond = "-n " + FishQuote("test (__qevm_path) = " + FishQuote(n.Path));
            var argValues = ArgumentValues(n.Command);
            // Where the command takes no file, fish's default file completion is turned off.
            bool files = n.Command.Subcommands.Count == 0 && argValues.Length == 0 && n.Command.Arguments.Count > 0;
            if (!files) b.Append("complete -c qevm ").Append(cond).Append(" -f\n");
            foreach (var s in n.Command.Subcommands.Where(s => !s.Hidden))
                b.Append("complete -c qevm ").Append(cond).Append(" -a ").Append(FishQuote(s.Name)).Append(" -d ").Append(FishQuote(Short(s.Description))).Append('\n');
            if (argValues.Length > 0) b.Append("complete -c qevm ").Append(cond).Append(" -a ").Append(FishQuote(string.Join(' ', argValues))).Append('\n');
            foreach (var o in n.Options.Where(o => !o.Hidden))
            {
                b.Append("complete -c qevm ").Append(cond);
                foreach (var name in Names(o))
                    b.Append(name.StartsWith("--", StringComparison.Ordinal) ? " -l " + name[2..] : " -s " + name[1..]);
                if (TakesValue(o))
                {
                    var values = Values(o);
                    b.Append(values.Length > 0 ? " -x -a " + FishQuote(string.Join(' ', values)) : IsPath(o) ? " -r -F" : " -x");
                }
                b.Append(" -d ").Append(FishQuote(Short(o.Description))).Append('\n');
            }
        }
        return b.ToString();
    }

    private static string Short(string? description)
    {
        var d = description ?? "";
        int cut = d.IndexOfAny(['(', ';', ':']);
        return (cut > 0 ? d[..cut] : d).Trim();
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string FishQuote(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
