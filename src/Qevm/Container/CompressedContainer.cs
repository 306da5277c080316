using System.Text.Json;

namespace Qevm.Container;

/// <summary>A bare QEMU stream compressed with gzip, zstd, xz or bzip2 (detected by magic).</summary>
public sealed class CompressedContainer(StreamCompression compression) : VmStateContainer
{
    /// <summary>The compression.</summary>
    public StreamCompression Compression { get; } = compression;

    /// <inheritdoc/>
    public override string Kind => "compressed";

    /// <inheritdoc/>
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteString("compression", Qevm.Container.Compression.Name(Compression));
        writer.WriteEndObject();
    }

    /// <inheritdoc/>
    public override System.IO.Stream OpenWrite(System.IO.Stream output, StreamCompression? compress = null) =>
        Qevm.Container.Compression.Compress(output, compress ?? Compression);
}
