using System.Text.Json;

namespace Qevm.Schema;

/// <summary>Opens a schema source by its content: a migration stream (plain or gzip), trailer JSON, a catalogue, or <c>-dump-vmstate</c> output.</summary>
public static class SchemaFile
{
    /// <summary>Loads the schema source in <paramref name="path"/>.</summary>
    public static ISchemaSource Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            using var gz = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            bytes = ms.ToArray();
        }
        string name = Path.GetFileName(path);
        if (bytes.AsSpan().StartsWith("QEVM"u8)) return Trailer.FromStream(new MemoryStream(bytes, writable: false), name);
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
            if (SchemaCatalogue.IsCatalogue(doc.RootElement)) return SchemaCatalogue.Parse(bytes, name);
            if (DumpVmStateSchema.IsDumpVmState(doc.RootElement)) return DumpVmStateSchema.Parse(bytes, name);
        }
        catch (JsonException e)
        {
            throw new VmStateFormatException(VmStateError.BadTrailer, 0, "a schema: a migration stream, trailer JSON, a catalogue or -dump-vmstate output", e.Message);
        }
        var trailer = Trailer.Parse(bytes);
        trailer.SourceName = name;
        return trailer;
    }
}
