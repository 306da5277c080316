using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary><c>--schema FILE</c>: a description to delimit FULL sections with (a migration stream with a trailer, or trailer JSON).</summary>
internal static class SchemaOption
{
    public static Option<string?> Create() => new("--schema")
    {
        Description = "description for files without section footers: a migration stream of the same QEMU and devices (its JSON trailer), or trailer JSON",
    };

    public static VmStateReaderOptions? ReaderOptions(ParseResult pr, Option<string?> option) =>
        pr.GetValue(option) is { } path ? new VmStateReaderOptions { Description = Trailer.Load(path) } : null;
}
