namespace Qevm.Container;

/// <summary>One entry of a qcow2 image's snapshot table (QEMU's <c>QCowSnapshotHeader</c> and its extra data).</summary>
public sealed record Qcow2Snapshot
{
    /// <summary>The snapshot's ID (<c>id_str</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The snapshot's name (tag).</summary>
    public required string Name { get; init; }

    /// <summary>Offset of the table entry in the image.</summary>
    public long EntryOffset { get; init; }

    /// <summary>Offset of the snapshot's L1 table.</summary>
    public ulong L1TableOffset { get; init; }

    /// <summary>Entries in the snapshot's L1 table.</summary>
    public uint L1Size { get; init; }

    /// <summary>When the snapshot was taken (seconds since the epoch).</summary>
    public uint DateSeconds { get; init; }

    /// <summary>Nanoseconds of <see cref="DateSeconds"/>.</summary>
    public uint DateNanoseconds { get; init; }

    /// <summary>The guest's virtual clock when the snapshot was taken.</summary>
    public ulong VmClockNanoseconds { get; init; }

    /// <summary>Bytes of VM state (the 64-bit extra-data field when present, else the 32-bit one).</summary>
    public long VmStateSize { get; init; }

    /// <summary>The 32-bit <c>vm_state_size</c> field.</summary>
    public uint VmStateSize32 { get; init; }

    /// <summary>Length of the extra data.</summary>
    public uint ExtraDataSize { get; init; }

    /// <summary>The virtual disk size when the snapshot was taken (extra data), if recorded.</summary>
    public ulong? DiskSize { get; init; }

    /// <summary>The instruction count (extra data; -1 when not recorded by QEMU).</summary>
    public ulong? Icount { get; init; }
}
