using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Qevm.Compatibility;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>qevm schema diff OLD NEW [--machine M] [--stream S] [--json]</c>: what NEW's QEMU does with OLD's state;
/// exit 0 compatible, 1 not (a refusal or a misread), 2 usage or I/O.
/// </summary>
internal static class SchemaDiffCommand
{
    public static Command Create(CliOutput output)
    {
        var old = new Argument<string>("OLD") { Description = "the source: -dump-vmstate output, a migration stream, a catalogue, trailer JSON, or qemu-X.Y[:machine]" };
        var @new = new Argument<string>("NEW") { Description = "the destination, of the same kinds" };
        var machine = new Option<string?>("--machine") { HelpName = "M", Description = "the machine type of database entries (qemu-X.Y)" };
        var stream = new Option<string?>("--stream") { HelpName = "S", Description = "compare only the sections, versions, subsections and RAM blocks stream S holds" };
        var json = new Option<bool>("--json") { Description = "print the diff as JSON" };
        var cmd = new Command("diff", "What NEW's QEMU does with the state OLD's writes: refuse, read wrongly, or accept, per section and field")
        {
            old, @new, machine, stream, json,
        };
        // Every error is exit 2: exit 1 means "not compatible".
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var m = pr.GetValue(machine);
            var oldSide = SchemaSideResolver.Resolve(pr.GetValue(old)!, m);
            var newSide = SchemaSideResolver.Resolve(pr.GetValue(@new)!, m);
            SchemaSide? streamSide = null;
            if (pr.GetValue(stream) is { } s)
            {
                streamSide = SchemaSideResolver.FromFile(s);
                if (streamSide.Sections is null) throw new ArgumentException($"--stream {s}: not a migration stream ({streamSide.Kind})");
            }
            var result = SchemaDiff.Compare(oldSide, newSide, streamSide);
            if (pr.GetValue(json))
            {
                var report = SchemaDiffReport.From(oldSide, newSide, streamSide, result);
                using var ms = new MemoryStream();
                using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                    JsonSerializer.Serialize(w, report, SchemaDiffJsonContext.Default.SchemaDiffReport);
                output.Out.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
            }
            else
            {
                Render(output, oldSide, newSide, streamSide, result);
            }
            return result.Compatible ? 0 : Program.InvalidInput;
        }, Program.UsageOrIo));
        return cmd;
    }

    private static void Render(CliOutput output, SchemaSide old, SchemaSide @new, SchemaSide? stream, SchemaDiffResult result)
    {
        output.Out.WriteLine($"OLD {old.Name} ({old.Kind}{Machine(old)}) -> NEW {@new.Name} ({@new.Kind}{Machine(@new)})" +
            (stream is null ? "" : $", limited to stream {stream.Name}"));
        foreach (var f in result.Findings)
        {
            string reaction = f.Reaction switch { QemuReaction.Refuse => "refuse", QemuReaction.ReadWrongly => "read wrongly", _ => "accept" };
            var line = $"{reaction,-12} {f.Section}{(f.Path is null ? "" : ": " + f.Path)}: {f.Detail}";
            if (f.Condition is not null) line += $" ({f.Condition})";
            if (f.QemuMessage is not null) line += $"; QEMU: {f.QemuMessage}";
            output.Out.WriteLine(line);
        }
        foreach (var n in result.NotChecked) output.Out.WriteLine($"not checked: {n}");
        output.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Sections} sections compared: {result.Refused} refuse, {result.ReadWrongly} read wrongly, {result.Accepted} accept: {(result.Compatible ? "compatible" : "not compatible")}"));
    }

    private static string Machine(SchemaSide side) => side.Machine is null ? "" : ", " + side.Machine;
}
