using System.CommandLine;
using System.CommandLine.Help;
using System.Text;

namespace Qevm.Cli.Rendering;

/// <summary>
/// The man page <c>qevm.1</c>, made from the command definitions (as the completion scripts are): a synopsis
/// and a section per command with its arguments and options.
/// </summary>
internal static class ManPage
{
    public static string Render(Command root, string version)
    {
        var b = new StringBuilder();
        b.Append(".TH QEVM 1 \"\" \"qevm ").Append(Escape(version)).Append("\" \"User Commands\"\n");
        b.Append(".SH NAME\nqevm \\- ").Append(Escape(root.Description ?? "")).Append('\n');
        b.Append(".SH SYNOPSIS\n.B qevm\n.I COMMAND\n[\n.I OPTIONS\n]\n");
        b.Append(".SH DESCRIPTION\n").Append(Escape(root.Description ?? "")).Append(".\nExit codes: 0 success, 1 invalid input, 2 usage or I/O error.\n");
        b.Append(".SH OPTIONS\n");
        foreach (var o in root.Options.Where(o => !o.Hidden)) Option(b, o);
        b.Append(".SH COMMANDS\n");
        void Visit(Command c, string path)
        {
            foreach (var s in c.Subcommands.Where(s => !s.Hidden))
            {
                string name = path + " " + s.Name;
                b.Append(".SS ").Append(Escape(name + Usage(s))).Append('\n').Append(Escape(s.Description ?? "")).Append('\n');
                foreach (var a in s.Arguments.Where(a => !a.Hidden))
                    b.Append(".TP\n.I ").Append(Escape(a.Name)).Append('\n').Append(Escape(a.Description ?? "")).Append('\n');
                foreach (var o in s.Options.Where(o => !o.Hidden && o is not HelpOption)) Option(b, o);
                Visit(s, name);
            }
        }
        Visit(root, "qevm");
        b.Append(".SH SEE ALSO\n.BR qemu-system-x86_64 (1),\n.BR virsh (1)\n");
        return b.ToString();
    }

    private static string Usage(Command c) =>
        string.Concat(c.Arguments.Where(a => !a.Hidden).Select(a => " " + a.Name + (a.Arity.MaximumNumberOfValues > 1 ? "..." : "")));

    private static void Option(StringBuilder b, Option o)
    {
        var names = new[] { o.Name }.Concat(o.Aliases).Where(n => n.StartsWith('-')).Distinct();
        b.Append(".TP\n.B ").Append(Escape(string.Join(", ", names)));
        if (o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool)) b.Append(' ').Append(Escape(o.HelpName ?? "VALUE"));
        b.Append('\n').Append(Escape(o.Description ?? "")).Append('\n');
    }

    // roff: a backslash and a line starting with '.' or '\'' have meanings of their own; '-' is a hyphen.
    private static string Escape(string s)
    {
        var t = s.Replace("\\", "\\e", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        return t.StartsWith('.') || t.StartsWith('\'') ? "\\&" + t : t;
    }
}
