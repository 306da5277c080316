using System.CommandLine;
using Qevm.Guest;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>qevm export FILE -o OUT --format elf|raw [--ram-file BLOCK=PATH]...</c>: the guest's memory (and CPUs) as QEMU's
/// dump-guest-memory writes them, or as a flat guest-physical image.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(CliOutput output)
    {
        var file = CommandRunner.FileArgument();
        var outOption = new Option<string>("--output", "-o") { Description = "file to write", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "elf: an ELF core as QEMU 7.2's dump-guest-memory (paging off) writes it; raw: a sparse flat image, file offset = guest-physical address",
            Required = true,
        };
        format.AcceptOnlyFromAmong("elf", "raw");
        var ramFiles = RamFileOption();
        var layoutOption = LayoutOption();
        var hintOptions = new LayoutHintOptions();
        var schemas = SchemaOption.Create();
        var cmd = new Command("export", "Write the guest's memory (x86 pc and q35, aarch64 virt) as an ELF core with its CPU registers, or as a raw guest-physical image")
        {
            file, outOption, format, ramFiles, layoutOption, schemas,
        };
        foreach (var o in hintOptions.All) cmd.Options.Add(o);
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var dst = pr.GetValue(outOption)!;
            var src = pr.GetValue(file)!;
            bool raw = pr.GetValue(format) == "raw";
            if (dst == "-") throw new ArgumentException($"the {(raw ? "raw image" : "ELF core")} is written at offsets: give a file to -o, not -");
            if (src != "-" && AtomicFile.SameFile(src, dst)) throw new ArgumentException("the output is the input file");
            var files = RamFiles(pr, ramFiles);
            using var input = CommandRunner.OpenRereadable(pr, src);
            var ranges = Layout(pr, layoutOption, hintOptions, input);
            GuestPhysicalLayout? layout = null;
            // Disposing a VmStateInput's stream disposes the input: the writer closes each pass's stream. A memory image is
            // not synced to disk before the rename, as QEMU's dump-guest-memory does not: the input stays as it was.
            AtomicFile.Write(dst, o => layout = raw
                ? RawImageWriter.Write(() => input.Open().Stream, o, SchemaOption.Load(pr, schemas), files, ranges)
                : ElfCoreWriter.Write(() => input.Open().Stream, o, SchemaOption.Load(pr, schemas), files, ranges), flushToDisk: false);
            output.Out.WriteLine(raw
                ? FormattableString.Invariant($"{dst}: raw guest-physical image, 0x{layout!.Ranges.Max(r => r.End):x} bytes, {layout.Ranges.Count} RAM ranges")
                : $"{dst}: ELF core, {layout!.Ranges.Count} PT_LOADs");
            return 0;
        }));
        return cmd;
    }

    /// <summary><c>--ram-file BLOCK=PATH</c> (repeatable): a block's memory-backend file, for x-ignore-shared streams.</summary>
    public static Option<string[]> RamFileOption() => new("--ram-file")
    {
        HelpName = "BLOCK=PATH",
        Description = "take RAM block BLOCK from its memory-backend file PATH (a stream saved with x-ignore-shared has no pages of shared memory); repeatable",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary><c>--layout FILE</c>: the guest-physical ranges where the stream cannot tell them.</summary>
    public static Option<string?> LayoutOption() => new("--layout")
    {
        HelpName = "FILE",
        Description = "the guest-physical ranges as JSON (memory map --json's document, or its ranges array), for what the stream cannot tell (hot-plugged DIMMs)",
    };

    /// <summary>
    /// What the stream cannot tell of the layout: the ranges of <c>--layout</c>; else what a libvirt image's domain
    /// XML says (where it places DIMMs, maxmem, the vCPU vendor) with the hint options over it; else null.
    /// </summary>
    public static GuestLayoutHints? Layout(ParseResult pr, Option<string?>? option, LayoutHintOptions hintOptions, RereadableInput input)
    {
        ArgumentNullException.ThrowIfNull(hintOptions);
        var given = hintOptions.Parse(pr); // a bad value is a usage error before any file is read
        if (option is not null && pr.GetValue(option) is { } path)
        {
            using var f = File.OpenRead(path);
            return new GuestLayoutHints { Ranges = GuestPhysicalLayout.ParseRanges(f) };
        }
        using var state = input.Open(); // reads the container's header only
        return LayoutHintOptions.Over(given, GuestLayoutHints.From(state.Container));
    }

    /// <summary>The parsed <c>--ram-file</c> values.</summary>
    public static RamFileSource[] RamFiles(ParseResult pr, Option<string[]> option) =>
        (pr.GetValue(option) ?? []).Select(RamFileSource.Parse).ToArray();
}
