namespace Qevm.Container;

/// <summary>A qcow2 image was given without naming which of its internal snapshots to read.</summary>
public sealed class SnapshotRequiredException : ArgumentException
{
    /// <summary>Creates the exception for an image with these snapshots.</summary>
    public SnapshotRequiredException(IReadOnlyList<Qcow2Snapshot> snapshots)
        : base(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"this is a qcow2 image with {snapshots?.Count ?? 0} internal snapshot(s): name the one whose VM state to read"))
    {
        Snapshots = snapshots ?? [];
    }

    /// <summary>The image's internal snapshots.</summary>
    public IReadOnlyList<Qcow2Snapshot> Snapshots { get; }
}
