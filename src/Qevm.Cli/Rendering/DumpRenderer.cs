using System.Globalization;
using Spectre.Console;

namespace Qevm.Cli.Rendering;

/// <summary>Human-readable <c>dump</c>: one tree per section, one line per field with its path's last part and value.</summary>
internal static class DumpRenderer
{
    private const int MaxHexBytes = 32;

    public static void Render(StateDump dump, Func<SectionState, bool>? select, CliOutput output)
    {
        if (!output.IsTerminal)
        {
            RenderLines(dump, select, output.Out);
            return;
        }
        var console = InfoRenderer.CreateConsole(output);
        var ci = CultureInfo.InvariantCulture;
        foreach (var s in dump.Sections)
        {
            if (select is not null && !select(s)) continue;
            var title = string.Create(ci, $"{s.Path} (section {s.Header.SectionId}, version {s.Header.VersionId}, {s.Payload.Length} bytes at 0x{s.PayloadOffset:x})");
            var tree = new Tree(Markup.Escape(title));
            if (s.Root is { } root)
            {
                AddMembers(tree, root);
            }
            else
            {
                tree.AddNode(Markup.Escape("raw (no description fits): " + Hex(s.Payload)));
            }
            foreach (var p in s.Problems) tree.AddNode(Markup.Escape("note: " + p));
            console.Write(tree);
        }
    }

    // Piped: one line per value, `PATH = VALUE`, paths as `set` takes them (grep-friendly, and fast).
    private static void RenderLines(StateDump dump, Func<SectionState, bool>? select, TextWriter w)
    {
        var ci = CultureInfo.InvariantCulture;
        foreach (var s in dump.Sections)
        {
            if (select is not null && !select(s)) continue;
            w.WriteLine(string.Create(ci, $"{s.Path} (section {s.Header.SectionId}, version {s.Header.VersionId}, {s.Payload.Length} bytes at 0x{s.PayloadOffset:x})"));
            if (s.Root is { } root) Lines(root, s.Path, w);
            else w.WriteLine("  raw (no description fits): " + Hex(s.Payload));
            foreach (var p in s.Problems) w.WriteLine("  note: " + p);
        }
    }

    private static void Lines(VmValue v, string path, TextWriter w)
    {
        switch (v)
        {
            case VmStruct st:
                foreach (var (name, m) in st.Members) Lines(m, path + "/" + FieldPath.Segment(st, name), w);
                break;
            case VmArray a:
                for (int i = 0; i < a.Elements.Count; i++) Lines(a.Elements[i], path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", w);
                break;
            default:
                w.Write("  ");
                w.Write(path);
                w.Write(" = ");
                w.WriteLine(Format(v));
                break;
        }
    }

    private static void AddMembers(IHasTreeNodes node, VmStruct s)
    {
        foreach (var (name, value) in s.Members) Add(node, name, value);
    }

    private static void Add(IHasTreeNodes node, string label, VmValue v)
    {
        var ci = CultureInfo.InvariantCulture;
        switch (v)
        {
            case VmStruct st:
                var child = node.AddNode(Markup.Escape(st.SubsectionVersion is { } ver ? $"{label} (subsection, version {ver})" : label));
                AddMembers(child, st);
                break;
            case VmArray a:
                var arr = node.AddNode(Markup.Escape(string.Create(ci, $"{label} [{a.Elements.Count}]")));
                for (int i = 0; i < a.Elements.Count; i++) Add(arr, string.Create(ci, $"[{i}]"), a.Elements[i]);
                break;
            default:
                node.AddNode(Markup.Escape(label + " = " + Format(v)));
                break;
        }
    }

    private static string Format(VmValue v) => v switch
    {
        VmScalar { Type: VmStateType.Bool } b => b.Bits != 0 ? "true" : "false",
        VmScalar { Type: VmStateType.Int } i => i.AsInt64.ToString(CultureInfo.InvariantCulture) + (i.AsInt64 < 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" (0x{i.Bits:x})")),
        VmScalar { Type: VmStateType.Float64 } f => f.AsDouble.ToString("R", CultureInfo.InvariantCulture),
        VmScalar u => string.Create(CultureInfo.InvariantCulture, $"{u.Bits} (0x{u.Bits:x})"),
        VmBytes b => Hex(b.Bytes),
        VmString s => "\"" + s.Text + "\"",
        VmNull => "NULL",
        _ => "?",
    };

    private static string Hex(byte[] b) =>
        b.Length <= MaxHexBytes ? Convert.ToHexStringLower(b) : Convert.ToHexStringLower(b.AsSpan(0, MaxHexBytes)) + string.Create(CultureInfo.InvariantCulture, $"... ({b.Length} bytes)");
}
