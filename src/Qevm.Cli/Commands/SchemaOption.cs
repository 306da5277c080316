using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>--schema S</c> (repeatable), the same for every command: description sources tried after a file's own
/// trailer — a migration stream of the same QEMU and devices, trailer JSON, a catalogue, or -dump-vmstate output.
/// </summary>
internal static class SchemaOption
{
    public static Option<string[]> Create() => new("--schema")
    {
        Description = "description source, tried after the file's own trailer: a migration stream of the same QEMU and devices, trailer JSON, a catalogue, or -dump-vmstate output (repeatable)",
    };

    public static List<ISchemaSource> Load(ParseResult pr, Option<string[]> option)
    {
        var sources = new List<ISchemaSource>();
        foreach (var path in pr.GetValue(option) ?? []) sources.Add(SchemaFile.Load(path));
        return sources;
    }

    /// <summary>Reader options that delimit footer-less sections with the first trailer given.</summary>
    public static VmStateReaderOptions? ReaderOptions(ParseResult pr, Option<string[]> option) =>
        VmStateReaderOptions.FromSchemas(Load(pr, option));
}
