using System.CommandLine;
using System.Globalization;
using Qevm.Guest;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm memory map FILE [--json]</c>: the guest-physical layout of the RAM blocks.</summary>
internal static class MemoryCommand
{
    public static Command Create(CliOutput output)
    {
        var memory = new Command("memory", "The guest's memory as the saved state holds it");
        memory.Subcommands.Add(Map(output));
        return memory;
    }

    private static Command Map(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var json = new Option<bool>("--json") { Description = "print the ranges as JSON" };
        var schemas = SchemaOption.Create();
        var cmd = new Command("map", "Guest-physical ranges of the RAM blocks (x86 pc and q35, aarch64 virt), as dump-guest-memory lists them") { file, json, schemas };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            using var state = CommandRunner.OpenState(pr, pr.GetValue(file)!);
            var layout = GuestPhysicalLayout.Read(state.Stream, SchemaOption.Load(pr, schemas));
            if (pr.GetValue(json)) WriteJson(output, layout);
            else WriteText(output, layout);
            return 0;
        }));
        return cmd;
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
