using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm splice --devices DEVICE.state --into STREAM -o OUT</c>.</summary>
internal static class SpliceCommand
{
    public static Command Create(CliOutput output)
    {
        var devices = new Option<string>("--devices") { Description = "device-state file (xen-save-devices-state) whose sections go in", Required = true };
        var into = new Option<string>("--into") { Description = "migration stream of the same VM: its RAM and everything else stay", Required = true };
        var outOption = new Option<string>("--output", "-o") { Description = "stream to write; - for standard output", Required = true };
        var compress = CommandRunner.CompressOption();
        var cmd = new Command("splice", "Replace the device sections of a migration stream with those of a device-state file (a libvirt image stays one)") { devices, into, outOption, compress };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var dst = pr.GetValue(outOption)!;
            foreach (var src in (string[])[pr.GetValue(devices)!, pr.GetValue(into)!])
                if (dst != "-" && src != "-" && AtomicFile.SameFile(src, dst)) throw new ArgumentException($"refusing to write over the input '{src}'");
            using var dev = CommandRunner.OpenState(pr, pr.GetValue(devices)!);
            using var stream = CommandRunner.OpenRereadable(pr, pr.GetValue(into)!);
            VmStateContainer? container;
            using (var probe = stream.Open()) container = probe.Container;
            CommandRunner.WriteState(pr, dst, container, o => Splice.Apply(dev.Stream, () => stream.Open().Stream, o));
            return 0;
        }));
        return cmd;
    }
}
