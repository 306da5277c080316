using System.Text.Json;

namespace Qevm.Schema;

/// <summary>Opens a schema source by its content: a migration stream (plain or gzip), trailer JSON, a catalogue, or <c>-dump-vmstate</c> output.</summary>
public static class SchemaFile
{
    /// <summary>Loads the schema source in <paramref name="path"/>.</summary>
    public static ISchemaSource Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromBytes(ReadBytes(path), Path.GetFileName(path));
    }

    /// <summary>The schema source in <paramref name="bytes"/> (decompressed), named <paramref name="name"/>.</summary>
    internal static ISchemaSource FromBytes(byte[] bytes, string name)
    {
        if (bytes.AsSpan().StartsWith("QEVM"u8)) return Trailer.FromStream(new MemoryStream(bytes, writable: false), name);
        using (var doc = JsonCursor.Parse(bytes, VmStateError.BadTrailer, "a schema: a migration stream, trailer JSON, a catalogue or -dump-vmstate output"))
        {
            if (SchemaCatalogue.IsCatalogue(doc.RootElement)) return SchemaCatalogue.Parse(bytes, name);
            if (DumpVmStateSchema.IsDumpVmState(doc.RootElement)) return DumpVmStateSchema.Parse(bytes, name);
        }
        var trailer = Trailer.Parse(bytes);
        trailer.SourceName = name;
        return trailer;
    }

    /// <summary>The bytes of <paramref name="path"/>, decompressed when they are gzip.</summary>
    internal static byte[] ReadBytes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            using var gz = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
            using var ms = new MemoryStream();
            try
            {
                gz.CopyTo(ms);
            }
            catch (InvalidDataException)
            {
                throw new VmStateFormatException(VmStateError.BadContainer, 0, "gzip-compressed data in " + Path.GetFileName(path), "damaged data");
            }
            bytes = ms.ToArray();
        }
        return bytes;
    }
}
