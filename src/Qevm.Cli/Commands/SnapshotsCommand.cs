using System.CommandLine;
using System.Globalization;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm snapshots FILE.qcow2</c>: the snapshot table as <c>qemu-img snapshot -l</c> prints it, then each VM state's summary.</summary>
internal static class SnapshotsCommand
{
    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("FILE") { Description = "qcow2 image" };
        var json = new Option<bool>("--json") { Description = "print the snapshot table and each VM state's record table as JSON" };
        var cmd = new Command("snapshots", "List the internal snapshots of a qcow2 image (as qemu-img snapshot -l) and summarize each VM state") { file, json };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var path = pr.GetValue(file)!;
            Qcow2Image image;
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read)) image = Qcow2Image.Open(fs);
            if (pr.GetValue(json)) return WriteJson(output, path, image);
            var ci = CultureInfo.InvariantCulture;
            // qemu-img's bdrv_snapshot_dump layout.
            output.Out.WriteLine("Snapshot list:");
            output.Out.WriteLine(string.Format(ci, "{0,-10}{1,-17}{2,8}{3,20}{4,13}{5,11}", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT"));
            foreach (var s in image.Snapshots)
            {
                var date = DateTimeOffset.FromUnixTimeSeconds(s.DateSeconds).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", ci);
                ulong secs = s.VmClockNanoseconds / 1_000_000_000;
                var clock = string.Format(ci, "{0:00}:{1:00}:{2:00}.{3:000}", secs / 3600, secs / 60 % 60, secs % 60, s.VmClockNanoseconds / 1_000_000 % 1000);
                var icount = s.Icount is { } i && i != ulong.MaxValue ? i.ToString(ci) : "";
                output.Out.WriteLine(string.Format(ci, "{0,-9} {1,-16} {2,8}{3,20}{4,13}{5,11}", s.Id, s.Name, SizeToString((ulong)s.VmStateSize), date, clock, icount));
            }
            int status = 0;
            foreach (var s in image.Snapshots)
            {
                if (s.VmStateSize == 0)
                {
                    output.Out.WriteLine($"{s.Id} {s.Name}: no VM state (disk only)");
                    continue;
                }
                try
                {
                    var info = ReadState(path, s);
                    var ram = info.Ram is { } r ? string.Format(ci, "RAM {0} MiB in {1} block(s), {2} pages", (long)(r.Blocks.Aggregate(0UL, (t, b) => t + b.UsedLength) >> 20), r.Blocks.Count, r.Pages) : "no RAM";
                    output.Out.WriteLine($"{s.Id} {s.Name}: {StreamKinds.Name(info.Kind)}, machine {info.Configuration?.Machine ?? "-"}, {info.Sections.Count} section records, {ram}");
                }
                catch (VmStateFormatException e)
                {
                    output.Out.WriteLine($"{s.Id} {s.Name}: invalid: {e.Message}");
                    status = Program.InvalidInput;
                }
            }
            return status;
        }));
        return cmd;
    }

    // The record table of one snapshot's VM state, read as every command reads it (--snapshot ID).
    private static StreamInfo ReadState(string path, Qcow2Snapshot snapshot)
    {
        using var input = VmStateInput.Open(CommandRunner.OpenInput(path), new VmStateInputOptions { Snapshot = snapshot.Id });
        return StreamInfo.Read(input);
    }

    // {"snapshots": [{the snapshot table entry's fields, "state": the record table `info --json` prints | "error"}]}.
    private static int WriteJson(CliOutput output, string path, Qcow2Image image)
    {
        int status = 0;
        output.WriteJson(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("snapshots");
            foreach (var s in image.Snapshots)
            {
                w.WriteStartObject();
                image.WriteSnapshotProperties(w, s);
                if (s.VmStateSize == 0)
                {
                    w.WriteNull("state");
                }
                else
                {
                    try
                    {
                        var info = ReadState(path, s);
                        w.WritePropertyName("state");
                        info.WriteJson(w);
                    }
                    catch (VmStateFormatException e)
                    {
                        w.WriteString("error", e.Message);
                        status = Program.InvalidInput;
                    }
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return status;
    }

    /// <summary>QEMU's size_to_str: three significant digits and a binary unit.</summary>
    internal static string SizeToString(ulong value)
    {
        string[] suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        int exp = value == 0 ? 0 : (int)Math.Floor(Math.Log2(value / (1000.0 / 1024.0))) + 1;
        int i = Math.Max(0, (exp - 1) / 10);
        double v = value / (double)(1UL << (i * 10));
        return FormatG3(v) + " " + suffixes[i] + "B";
    }

    // C's %0.3g for values below 1000.
    private static string FormatG3(double v)
    {
        var ci = CultureInfo.InvariantCulture;
        if (v == 0) return "0";
        int digits = (int)Math.Floor(Math.Log10(Math.Abs(v))) + 1;
        double rounded = Math.Round(v, Math.Max(0, 3 - digits), MidpointRounding.ToEven);
        if (rounded >= 1000) return "1e+03";
        return rounded.ToString("0.##", ci);
    }
}
