namespace Qevm.Cli;

/// <summary>Where a command writes, and whether that is a terminal (rich rendering) or not (plain text).</summary>
internal sealed record CliOutput(TextWriter Out, TextWriter Error, bool IsTerminal);
