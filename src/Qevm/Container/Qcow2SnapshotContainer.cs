using System.Text.Json;

namespace Qevm;

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
        writer.WriteString("id", Snapshot.Id);
        writer.WriteString("name", Snapshot.Name);
        writer.WriteNumber("l1_table_offset", Snapshot.L1TableOffset);
        writer.WriteNumber("l1_size", Snapshot.L1Size);
        writer.WriteNumber("date_sec", Snapshot.DateSeconds);
        writer.WriteNumber("date_nsec", Snapshot.DateNanoseconds);
        writer.WriteNumber("vm_clock_nsec", Snapshot.VmClockNanoseconds);
        writer.WriteNumber("vm_state_size", Snapshot.VmStateSize);
        writer.WriteNumber("extra_data_size", Snapshot.ExtraDataSize);
        if (Snapshot.DiskSize is { } d) writer.WriteNumber("disk_size", d); else writer.WriteNull("disk_size");
        writer.WriteNumber("vm_state_offset", Image.VmStateOffset(Snapshot));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <inheritdoc/>
    public override System.IO.Stream OpenWrite(System.IO.Stream output, StreamCompression? compress = null) =>
        throw new NotSupportedException($"writing into a qcow2 snapshot is not supported: `qevm convert FILE --snapshot {Snapshot.Id} -o OUT` writes its VM state out as a stream");
}
