using System.CommandLine;
using System.Text.Json;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>qevm check FILE [--json] [--target T [--machine M]]</c>: validates the whole stream, and predicts whether the target
/// QEMU loads it (T: qemu-X.Y[:MACHINE] from the built-in database, or a file); exit 0 valid, 1 invalid, 2 usage or I/O.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var json = new Option<bool>("--json") { Description = "print the verdict as JSON" };
        var schema = SchemaOption.Create();
        var target = new Option<string?>("--target") { Description = "predict whether this QEMU loads the file: qemu-X.Y[:MACHINE] (the built-in database; the machine type defaults to the file's), a stream it wrote, a catalogue harvested from its streams, its trailer JSON or its -dump-vmstate output" };
        var machine = new Option<string?>("--machine") { HelpName = "NAME", Description = "the target's machine type (default: from the target)" };
        var cmd = new Command("check", "Validate a stream; one line saying where and why when it is invalid") { file, json, schema, target, machine };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var path = pr.GetValue(file)!;
            bool asJson = pr.GetValue(json);
            StreamInfo info;
            try
            {
                using var input = CommandRunner.OpenState(pr, path);
                info = StreamInfo.Read(input, SchemaOption.ReaderOptions(pr, schema));
            }
            catch (VmStateFormatException e) when (asJson)
            {
                WriteJson(output, null, e);
                return Program.InvalidInput;
            }
            CheckTarget? checkTarget = pr.GetValue(target) is { } t
                ? QemuVersionDatabase.IsSpec(t) && !File.Exists(t)
                    ? QemuVersionDatabase.BuiltIn.Resolve(t, pr.GetValue(machine) ?? info.Configuration?.Machine)
                    : CheckTarget.Load(t)
                : null;
            var verdict = checkTarget is null ? null : TargetCheck.Verdict(info, checkTarget, pr.GetValue(machine));
            var findings = verdict?.Findings.ToList() ?? [];
            if (asJson)
            {
                WriteJson(output, info, null, findings, checkTarget, verdict);
                return findings.Count > 0 ? Program.InvalidInput : 0;
            }
            if (findings.Count > 0)
            {
                foreach (var f in findings)
                    output.Error.WriteLine($"qevm: the target refuses: offset {CommandRunner.Offset(f.Offset)}: {f.Record}: {f.QemuMessage}");
                return Program.InvalidInput;
            }
            else
            {
                output.Out.WriteLine($"{path}: valid {StreamKinds.Name(info.Kind)}, {info.Sections.Count} section records, footers {(info.Footers ? "yes" : "no")}, " +
                    $"{(info.Trailer is null ? "no trailer" : "trailer")}, EOF at {CommandRunner.Offset(info.EofOffset)}");
                foreach (var w in info.Warnings) output.Out.WriteLine($"warning: offset {CommandRunner.Offset(w.Offset)}: {w.Message}");
                foreach (var m in info.DescriptionMismatches)
                    output.Out.WriteLine($"warning: '{m.Idstr}' #{m.InstanceId}: the description gives {m.DescribedLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no length"}, the footer {m.FooterLength} bytes (the footer wins)");
                if (checkTarget is not null && verdict is not null)
                    output.Out.WriteLine(TargetLine(checkTarget, verdict));
            }
            return 0;
        }));
        return cmd;
    }

    // What the target let check: never a silent "valid" when it gave nothing to check against.
    private static string TargetLine(CheckTarget target, TargetVerdict verdict)
    {
        var line = $"target {target.Name} ({target.Kind}): no refusal found";
        if (verdict.NotChecked.Count == 0) return line + " (machine type, RAM blocks, sections and versions checked)";
        var notChecked = verdict.NotChecked.Select(n => n.StartsWith("the machine type", StringComparison.Ordinal) ? n + " (give --machine)" : n);
        return line + "; not checked: " + string.Join("; ", notChecked);
    }

    private static void WriteJson(CliOutput output, StreamInfo? info, VmStateFormatException? error, List<TargetFinding>? findings = null,
        CheckTarget? target = null, TargetVerdict? verdict = null)
    {
        output.WriteJson(w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("valid", error is null && (findings is null || findings.Count == 0));
            w.WriteStartArray("findings");
            foreach (var f in findings ?? [])
            {
                w.WriteStartObject();
                w.WriteNumber("offset", f.Offset);
                w.WriteString("record", f.Record);
                w.WriteString("qemu_message", f.QemuMessage);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (target is not null && verdict is not null)
            {
                w.WriteStartObject("target");
                w.WriteString("name", target.Name);
                w.WriteString("kind", target.Kind);
                if (target.Machine is null) w.WriteNull("machine"); else w.WriteString("machine", target.Machine);
                if (target.QemuVersion is null) w.WriteNull("qemu_version"); else w.WriteString("qemu_version", target.QemuVersion);
                w.WriteStartArray("not_checked");
                foreach (var n in verdict.NotChecked) w.WriteStringValue(n);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            if (info is not null)
            {
                w.WriteString("kind", StreamKinds.Name(info.Kind));
                w.WriteStartArray("warnings");
                foreach (var d in info.Warnings)
                {
                    w.WriteStartObject();
                    w.WriteNumber("offset", d.Offset);
                    w.WriteString("message", d.Message);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (error is not null)
            {
                w.WriteStartObject("error");
                w.WriteString("code", error.Error.ToString());
                w.WriteNumber("offset", error.Offset);
                if (error.Record is null) w.WriteNull("record"); else w.WriteString("record", error.Record);
                w.WriteString("expected", error.Expected);
                if (error.Found is null) w.WriteNull("found"); else w.WriteString("found", error.Found);
                if (error.QemuMessage is null) w.WriteNull("qemu_message"); else w.WriteString("qemu_message", error.QemuMessage);
                w.WriteString("message", error.Message);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        });
    }
}
