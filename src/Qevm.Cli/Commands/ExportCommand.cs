using System.CommandLine;
using Qevm.Guest;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm export FILE -o OUT --format elf</c>: the guest's memory and CPUs as QEMU's dump-guest-memory writes them.</summary>
internal static class ExportCommand
{
    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var outOption = new Option<string>("--output", "-o") { Description = "file to write", Required = true };
        var format = new Option<string>("--format") { Description = "elf: an ELF core as QEMU 7.2's dump-guest-memory (paging off) writes it", Required = true };
        format.AcceptOnlyFromAmong("elf");
        var schemas = SchemaOption.Create();
        var cmd = new Command("export", "Write the guest's memory and CPU registers (x86 pc and q35, aarch64 virt) as an ELF core") { file, outOption, format, schemas };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var dst = pr.GetValue(outOption)!;
            var src = pr.GetValue(file)!;
            if (dst == "-") throw new ArgumentException("the ELF core is written at offsets: give a file to -o, not -");
            if (src != "-" && AtomicFile.SameFile(src, dst)) throw new ArgumentException("the output is the input file");
            using var input = CommandRunner.OpenRereadable(pr, src);
            GuestPhysicalLayout? layout = null;
            // Disposing a VmStateInput's stream disposes the input: the writer closes each pass's stream.
            AtomicFile.Write(dst, o => layout = ElfCoreWriter.Write(() => input.Open().Stream, o, SchemaOption.Load(pr, schemas)));
            output.Out.WriteLine($"{dst}: ELF core, {layout!.Ranges.Count} PT_LOADs");
            return 0;
        }));
        return cmd;
    }
}
