using System.Globalization;
using Qevm.Cli.Commands;
using Spectre.Console;

namespace Qevm.Cli.Rendering;

/// <summary>Human-readable <c>info</c>: a summary, the configuration, commands, a section table and RAM totals.</summary>
internal static class InfoRenderer
{
    /// <summary>A Spectre console on the command's output: colours on a terminal, plain text otherwise.</summary>
    public static IAnsiConsole CreateConsole(CliOutput output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output.Out),
            Ansi = output.IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = output.IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!output.IsTerminal) console.Profile.Width = 200;
        return console;
    }

    /// <summary>One line about a container (offsets in the stream count from the stream's first byte inside it).</summary>
    public static string Describe(VmStateContainer container)
    {
        var ci = CultureInfo.InvariantCulture;
        return container switch
        {
            LibvirtSaveHeader l => string.Create(ci,
                $"libvirt save image{(l.Partial ? " (PARTIAL)" : "")}, version {l.Version}, {(l.BigEndian ? "big" : "little")}-endian, {Compression.Name(l.Compression)}, " +
                $"was_running {l.WasRunning}, data_len {l.DataLength} (XML {System.Text.Encoding.UTF8.GetByteCount(l.Xml)} bytes, cookie {(l.Cookie is null ? "none" : l.Cookie.Length + " bytes")}, padding {l.PaddingLength}), stream at {CommandRunner.Offset(l.StreamOffset)}"),
            Qcow2SnapshotContainer q => string.Create(ci,
                $"qcow2 v{q.Image.Version} snapshot {q.Snapshot.Id} '{q.Snapshot.Name}', VM state {q.Snapshot.VmStateSize} bytes at guest offset {CommandRunner.Offset(q.Image.VmStateOffset(q.Snapshot))}"),
            CompressedContainer c => Compression.Name(c.Compression) + "-compressed stream",
            _ => container.Kind,
        };
    }

    public static void Render(StreamInfo info, CliOutput output)
    {
        var console = CreateConsole(output);
        var ci = CultureInfo.InvariantCulture;
        if (info.Container is { } container) console.MarkupLine(Markup.Escape("container: " + Describe(container)));
        console.MarkupLine(string.Create(ci, $"[bold]{StreamKinds.Name(info.Kind)}[/], version {info.Version}, footers {(info.Footers ? "yes" : "no")}, EOF at {CommandRunner.Offset(info.EofOffset)}"));
        if (info.Configuration is { } c)
        {
            var caps = c.Capabilities is null ? "-" : string.Join(", ", c.Capabilities);
            console.MarkupLine(Markup.Escape(string.Create(ci,
                $"configuration: machine {c.Machine}, target-page-bits {(c.TargetPageBits?.ToString(ci) ?? "-")}, capabilities {caps}, uuid {c.UuidText ?? "-"}")));
        }
        foreach (var cmd in info.Commands)
            console.MarkupLine(Markup.Escape(string.Create(ci, $"command {cmd.Name} (0x{cmd.Command:x}) at {CommandRunner.Offset(cmd.Offset)}, {cmd.Length} bytes {cmd.PayloadHex}")));
        var table = new Table().Border(output.IsTerminal ? TableBorder.Rounded : TableBorder.Simple);
        foreach (var h in (string[])["type", "id", "idstr", "instance", "version", "offset", "size", "footer"])
            table.AddColumn(new TableColumn(h) { Alignment = h is "idstr" or "type" ? Justify.Left : Justify.Right });
        foreach (var s in info.Sections)
        {
            table.AddRow(s.TypeName, s.Header.SectionId.ToString(ci), Markup.Escape(s.Header.Idstr), s.Header.InstanceId.ToString(ci),
                s.Header.VersionId.ToString(ci), string.Create(ci, $"0x{s.RecordOffset:x}"), s.PayloadLength.ToString(ci),
                s.FooterOffset is { } f ? string.Create(ci, $"0x{f:x}") : "-");
        }
        console.Write(table);
        if (info.Ram is { } ram)
        {
            console.MarkupLine(string.Create(ci,
                $"RAM: page size {ram.PageSize}, {ram.Pages} pages, {ram.ZeroPages} zero pages, {ram.XbzrlePages} XBZRLE, {ram.CompressedPages} compressed{(ram.MappedRam ? ", mapped-ram" : "")}"));
            foreach (var b in ram.Blocks)
                console.MarkupLine(Markup.Escape(string.Create(ci, $"  block {b.Name}: {b.UsedLength} bytes")));
        }
        console.MarkupLine(info.Trailer is { } t ? string.Create(ci, $"trailer: {t.Length} bytes of JSON at {CommandRunner.Offset(t.Offset)}") : "trailer: none");
        foreach (var m in info.DescriptionMismatches)
            console.MarkupLine(Markup.Escape(string.Create(ci,
                $"warning: '{m.Idstr}' #{m.InstanceId}: the description gives {(m.DescribedLength?.ToString(ci) ?? "no length")} bytes, the footer {m.FooterLength} (the footer wins)")));
        foreach (var w in info.Warnings)
            console.MarkupLine(Markup.Escape("warning: " + w.Message));
    }
}
