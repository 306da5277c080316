using System.Text.Json;

namespace Qevm.Container;

/// <summary>The VM state of one internal snapshot of a qcow2 image.</summary>
public sealed class Qcow2SnapshotContainer(Qcow2Image image, Qcow2Snapshot snapshot) : VmStateContainer
{
    /// <summary>The image.</summary>
    public Qcow2Image Image { get; } = image;

    /// <summary>The snapshot read.</summary>
    public Qcow2Snapshot Snapshot { get; } = snapshot;

    /// <inheritdoc/>
    public override string Kind => "qcow2";

    /// <inheritdoc/>
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteNumber("version", Image.Version);
        writer.WriteNumber("cluster_bits", Image.ClusterBits);
        writer.WriteNumber("size", Image.Size);
        writer.WriteNumber("incompatible_features", Image.IncompatibleFeatures);
        writer.WriteString("compression_type", Image.CompressionType == 0 ? "zlib" : "zstd");
        writer.WriteBoolean("extended_l2", Image.ExtendedL2);
        writer.WriteNumber("nb_snapshots", Image.Snapshots.Count);
        writer.WriteNumber("snapshots_offset", Image.SnapshotsOffset);
        writer.WriteStartObject("snapshot");
        Image.WriteSnapshotProperties(writer, Snapshot);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <inheritdoc/>
    public override System.IO.Stream OpenWrite(System.IO.Stream output, StreamCompression? compress = null) =>
        throw new NotSupportedException($"writing into a qcow2 snapshot is not supported (snapshot {Snapshot.Id}): its VM state can be written out as a stream");
}
