using System.Text.Json;

namespace Qevm.Cli;

/// <summary>Where a command writes, and whether that is a terminal (rich rendering) or not (plain text).</summary>
internal sealed record CliOutput(TextWriter Out, TextWriter Error, bool IsTerminal)
{
    /// <summary>Writes one indented JSON document to standard output.</summary>
    public void WriteJson(Action<Utf8JsonWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
            write(w);
        Out.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
    }
}
