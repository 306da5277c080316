using System.CommandLine;
using System.Globalization;
using Qevm.Cli.Rendering;
using Qevm.Guest;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>qevm memory map FILE [--json]</c>: the guest-physical layout of the RAM blocks; <c>qevm memory read FILE ADDR
/// LEN [-o OUT]</c>: guest memory by guest-physical address, as a hex dump or bytes.
/// </summary>
internal static class MemoryCommand
{
    public static Command Create(CliOutput output)
    {
        var memory = new Command("memory", "The guest's memory as the saved state holds it");
        memory.Subcommands.Add(Map(output));
        memory.Subcommands.Add(Read(output));
        return memory;
    }

    private static Command Map(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var json = new Option<bool>("--json") { Description = "print the ranges as JSON" };
        var hintOptions = new LayoutHintOptions();
        var schemas = SchemaOption.Create();
        var cmd = new Command("map", "Guest-physical ranges of the RAM blocks (x86 pc and q35, aarch64 virt), as dump-guest-memory lists them") { file, json, schemas };
        foreach (var o in hintOptions.All) cmd.Options.Add(o);
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var given = hintOptions.Parse(pr); // a bad value is a usage error before the file is read
            using var state = CommandRunner.OpenState(pr, pr.GetValue(file)!);
            // A libvirt image's domain XML places its DIMMs and may say maxmem and the vCPU vendor; the options override it.
            var hints = LayoutHintOptions.Over(given, GuestLayoutHints.From(state.Container));
            var layout = GuestPhysicalLayout.FromState(StateDump.Read(state.Stream, SchemaOption.Load(pr, schemas)), hints);
            if (pr.GetValue(json)) WriteJson(output, layout);
            else WriteText(output, layout);
            return 0;
        }));
        return cmd;
    }

    private static Command Read(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var address = new Argument<string>("ADDR") { Description = "guest-physical address (0x hex or decimal)" };
        var length = new Argument<string>("LEN") { Description = "bytes to read (0x hex or decimal)" };
        var outOption = new Option<string?>("--output", "-o") { Description = "write the bytes to a file (- for standard output) instead of a hex dump" };
        var ramFiles = ExportCommand.RamFileOption();
        var layoutOption = ExportCommand.LayoutOption();
        var hintOptions = new LayoutHintOptions();
        var schemas = SchemaOption.Create();
        var cmd = new Command("read", "Guest memory by guest-physical address (x86 pc and q35): a hex dump, or the bytes with -o")
        {
            file, address, length, outOption, ramFiles, layoutOption, schemas,
        };
        foreach (var o in hintOptions.All) cmd.Options.Add(o);
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            ulong at = Number(pr.GetValue(address)!, "ADDR");
            ulong len = Number(pr.GetValue(length)!, "LEN");
            var src = pr.GetValue(file)!;
            var files = ExportCommand.RamFiles(pr, ramFiles);
            using var input = CommandRunner.OpenRereadable(pr, src);
            var schemaList = SchemaOption.Load(pr, schemas);
            var ranges = ExportCommand.Layout(pr, layoutOption, hintOptions, input);
            if (pr.GetValue(outOption) is { } dst)
            {
                if (src != "-" && dst != "-" && AtomicFile.SameFile(src, dst)) throw new ArgumentException("the output is the input file");
                CommandRunner.WriteOutput(dst, o => GuestMemoryReader.Read(() => input.Open().Stream, at, len, o, schemaList, files, ranges));
            }
            else
            {
                using var hex = new HexDumpStream(output.Out, at);
                GuestMemoryReader.Read(() => input.Open().Stream, at, len, hex, schemaList, files, ranges);
            }
            return 0;
        }));
        return cmd;
    }

    private static ulong Number(string text, string name)
    {
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (ulong.TryParse(hex ? text[2..] : text, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)) return v;
        throw new ArgumentException($"{name} '{text}': expected a number (0x hex or decimal)");
    }

    private static void WriteText(CliOutput output, GuestPhysicalLayout layout)
    {
        var c = CultureInfo.InvariantCulture;
        output.Out.WriteLine(string.Format(c, "{0}: 0x{1:x} bytes below 4 GiB, 0x{2:x} above", Name(layout.Machine), layout.Below4G, layout.Above4G));
        foreach (var r in layout.Ranges)
            output.Out.WriteLine(string.Format(c, "  0x{0:x16}-0x{1:x16}  {2}+0x{3:x}  (0x{4:x} bytes)", r.Address, r.End - 1, r.Block, r.BlockOffset, r.Length));
        foreach (var n in layout.Notes) output.Out.WriteLine("note: " + n);
    }

    private static string Name(GuestMachine machine) => machine switch
    {
        GuestMachine.Q35 => "q35",
        GuestMachine.ArmVirt => "virt",
        GuestMachine.Microvm => "microvm",
        _ => "i440fx",
    };

    private static void WriteJson(CliOutput output, GuestPhysicalLayout layout) => output.WriteJson(w =>
    {
        w.WriteStartObject();
        w.WriteString("machine", Name(layout.Machine));
        w.WriteNumber("below_4g", layout.Below4G);
        w.WriteNumber("above_4g", layout.Above4G);
        w.WriteStartArray("ranges");
        foreach (var r in layout.Ranges)
        {
            w.WriteStartObject();
            w.WriteNumber("address", r.Address);
            w.WriteNumber("length", r.Length);
            w.WriteString("block", r.Block);
            w.WriteNumber("offset", r.BlockOffset);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("notes");
        foreach (var n in layout.Notes) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
