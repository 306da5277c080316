using System.Text.Json;

namespace Qevm;

/// <summary>Opens a schema source by its content: a migration stream (plain or gzip), trailer JSON, a catalogue, or <c>-dump-vmstate</c> output.</summary>
public static class SchemaFile
{
    /// <summary>Loads the schema source in <paramref name="path"/>.</summary>
    public static ISchemaSource Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Span<byte> head = stackalloc byte[4];
        using (var fs = File.OpenRead(path))
        {
            int n = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            if (n >= 2 && ((head[0] == 0x1F && head[1] == 0x8B) || (n == 4 && head.SequenceEqual("QEVM"u8))))
                return Trailer.Load(path);
        }
        var bytes = File.ReadAllBytes(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
            if (SchemaCatalogue.IsCatalogue(doc.RootElement)) return SchemaCatalogue.Parse(bytes, Path.GetFileName(path));
            if (DumpVmStateSchema.IsDumpVmState(doc.RootElement)) return DumpVmStateSchema.Parse(bytes, Path.GetFileName(path));
        }
        catch (JsonException e)
        {
            throw new VmStateFormatException(VmStateError.BadTrailer, 0, "a schema: a migration stream, trailer JSON, a catalogue or -dump-vmstate output", e.Message);
        }
        return Trailer.Load(path);
    }
}
