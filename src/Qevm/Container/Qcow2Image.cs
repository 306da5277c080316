using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Qevm.Container;

/// <summary>
/// The parts of a qcow2 image that hold internal snapshots' VM state (QEMU's <c>block/qcow2.h</c>,
/// <c>qcow2-snapshot.c</c>): header v2/v3, snapshot table, L1/L2 tables. The VM state of a snapshot lies past the
/// virtual disk, at <c>l1_vm_state_index &lt;&lt; (cluster_bits + l2_bits)</c>, mapped through the snapshot's L1 table.
/// </summary>
public sealed class Qcow2Image
{
    /// <summary>"QFI\xfb".</summary>
    public const uint Magic = 0x514649fb;

    private const ulong IncompatCompression = 1 << 3;
    private const ulong IncompatExtendedL2 = 1 << 4;

    private Qcow2Image(System.IO.Stream file, long origin) { File = file; Origin = origin; }

    internal System.IO.Stream File { get; }
    internal long Origin { get; }

    /// <summary>Length of the image file.</summary>
    public long FileLength { get; private init; }

    /// <summary>2 or 3.</summary>
    public uint Version { get; private init; }

    /// <summary>log2 of the cluster size.</summary>
    public int ClusterBits { get; private init; }

    /// <summary>Virtual disk size.</summary>
    public ulong Size { get; private init; }

    /// <summary>Incompatible feature bits (v3).</summary>
    public ulong IncompatibleFeatures { get; private init; }

    /// <summary>Compression type: 0 zlib, 1 zstd.</summary>
    public byte CompressionType { get; private init; }

    /// <summary>True with extended L2 entries (subclusters).</summary>
    public bool ExtendedL2 => (IncompatibleFeatures & IncompatExtendedL2) != 0;

    /// <summary>Offset of the snapshot table.</summary>
    public ulong SnapshotsOffset { get; private init; }

    /// <summary>The snapshot table.</summary>
    public IReadOnlyList<Qcow2Snapshot> Snapshots { get; private set; } = [];

    internal int ClusterSize => 1 << ClusterBits;
    internal int L2EntryLength => ExtendedL2 ? 16 : 8;
    internal int L2Bits => ClusterBits - (ExtendedL2 ? 4 : 3);

    /// <summary>Reads the header and snapshot table of the image in <paramref name="file"/> (seekable) at <paramref name="origin"/>.</summary>
    public static Qcow2Image Open(System.IO.Stream file, long origin = 0)
    {
        ArgumentNullException.ThrowIfNull(file);
        long fileLength = file.Length - origin;
        var h = new byte[112];
        int got = ReadAt(file, origin, 0, h);
        if (got < 72) throw Bad(got, "a qcow2 header of at least 72 bytes", "end of data");
        uint U32(int at) => BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(at));
        ulong U64(int at) => BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(at));
        if (U32(0) != Magic) throw Bad(0, "qcow2 magic QFI\\xfb", "0x" + U32(0).ToString("x8", CultureInfo.InvariantCulture));
        uint version = U32(4);
        if (version is not (2 or 3)) throw Bad(4, "qcow2 version 2 or 3", version.ToString(CultureInfo.InvariantCulture));
        uint clusterBits = U32(20);
        if (clusterBits is < 9 or > 21) throw Bad(20, "cluster_bits 9-21", clusterBits.ToString(CultureInfo.InvariantCulture));
        if (U32(32) != 0) throw new NotSupportedException("encrypted qcow2 images are not supported");
        ulong incompat = 0;
        byte compressionType = 0;
        if (version == 3)
        {
            if (got < 104) throw Bad(got, "a qcow2 v3 header of at least 104 bytes", "end of data");
            incompat = U64(72);
            uint headerLength = U32(100);
            if ((incompat & IncompatCompression) != 0)
            {
                if (headerLength <= 104 || got <= 104) throw Bad(100, "a header with the compression type (incompatible feature bit 3 set)", headerLength.ToString(CultureInfo.InvariantCulture));
                compressionType = h[104];
                if (compressionType > 1) throw Bad(104, "compression type 0 (zlib) or 1 (zstd)", compressionType.ToString(CultureInfo.InvariantCulture));
            }
            ulong unknown = incompat & ~(0x1fUL);
            if (unknown != 0) throw Bad(72, "known incompatible features (bits 0-4)", "0x" + incompat.ToString("x", CultureInfo.InvariantCulture));
        }
        uint nbSnapshots = U32(60);
        ulong snapshotsOffset = U64(64);
        var image = new Qcow2Image(file, origin)
        {
            FileLength = fileLength,
            Version = version,
            ClusterBits = (int)clusterBits,
            Size = U64(24),
            IncompatibleFeatures = incompat,
            CompressionType = compressionType,
            SnapshotsOffset = snapshotsOffset,
        };
        image.Snapshots = image.ReadSnapshots(nbSnapshots, snapshotsOffset);
        return image;
    }

    private List<Qcow2Snapshot> ReadSnapshots(uint count, ulong offset)
    {
        const int Max = 65536; // QCOW_MAX_SNAPSHOTS
        if (count > Max) throw Bad(60, "at most 65536 snapshots", count.ToString(CultureInfo.InvariantCulture));
        var list = new List<Qcow2Snapshot>();
        long at = (long)offset;
        var fixedPart = new byte[40];
        for (uint i = 0; i < count; i++)
        {
            long entry = at;
            if (at < 0 || at + 40 > FileLength) throw Bad(at, "a snapshot table entry within the file", "its end past the end of the file");
            ReadAt(File, Origin, at, fixedPart);
            var e = fixedPart.AsSpan();
            ulong l1Offset = BinaryPrimitives.ReadUInt64BigEndian(e);
            uint l1Size = BinaryPrimitives.ReadUInt32BigEndian(e[8..]);
            int idLen = BinaryPrimitives.ReadUInt16BigEndian(e[12..]);
            int nameLen = BinaryPrimitives.ReadUInt16BigEndian(e[14..]);
            uint extraLen = BinaryPrimitives.ReadUInt32BigEndian(e[36..]);
            if (extraLen > 1024) throw Bad(at + 36, "extra_data_size at most 1024", extraLen.ToString(CultureInfo.InvariantCulture));
            long rest = extraLen + idLen + nameLen;
            if (at + 40 + rest > FileLength) throw Bad(at, "a snapshot table entry within the file", "its id, name or extra data past the end of the file");
            var tail = new byte[rest];
            ReadAt(File, Origin, at + 40, tail);
            uint vmState32 = BinaryPrimitives.ReadUInt32BigEndian(e[32..]);
            long vmState = vmState32;
            ulong? diskSize = null, icount = null;
            if (extraLen >= 8) vmState = (long)BinaryPrimitives.ReadUInt64BigEndian(tail);
            if (extraLen >= 16) diskSize = BinaryPrimitives.ReadUInt64BigEndian(tail.AsSpan(8));
            if (extraLen >= 24) icount = BinaryPrimitives.ReadUInt64BigEndian(tail.AsSpan(16));
            if (vmState < 0) throw Bad(at + 40, "a vm_state_size below 2^63", ((ulong)vmState).ToString(CultureInfo.InvariantCulture));
            list.Add(new Qcow2Snapshot
            {
                Id = Encoding.UTF8.GetString(tail, (int)extraLen, idLen),
                Name = Encoding.UTF8.GetString(tail, (int)extraLen + idLen, nameLen),
                EntryOffset = entry,
                L1TableOffset = l1Offset,
                L1Size = l1Size,
                DateSeconds = BinaryPrimitives.ReadUInt32BigEndian(e[16..]),
                DateNanoseconds = BinaryPrimitives.ReadUInt32BigEndian(e[20..]),
                VmClockNanoseconds = BinaryPrimitives.ReadUInt64BigEndian(e[24..]),
                VmStateSize = vmState,
                VmStateSize32 = vmState32,
                ExtraDataSize = extraLen,
                DiskSize = diskSize,
                Icount = icount,
            });
            at += 40 + rest;
            at = (at + 7) & ~7L;
        }
        return list;
    }

    /// <summary>The snapshot with this ID, else with this name (as <c>loadvm</c> looks it up).</summary>
    public Qcow2Snapshot Find(string idOrName)
    {
        ArgumentNullException.ThrowIfNull(idOrName);
        foreach (var s in Snapshots) if (s.Id == idOrName) return s;
        foreach (var s in Snapshots) if (s.Name == idOrName) return s;
        throw new ArgumentException($"no snapshot with ID or name '{idOrName}' (the image has {Snapshots.Count}: {string.Join(", ", Snapshots.Select(s => s.Id + " " + s.Name))})");
    }

    /// <summary>Offset in the guest-visible address space where the snapshot's VM state starts.</summary>
    public long VmStateOffset(Qcow2Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ulong size = snapshot.DiskSize ?? Size;
        int shift = ClusterBits + L2Bits;
        ulong l1Index = (size + (1UL << shift) - 1) >> shift;
        return (long)(l1Index << shift);
    }

    /// <summary>
    /// Writes a snapshot table entry's fields as JSON properties into the object being written (what <c>info --json</c>
    /// shows under <c>container.snapshot</c> and <c>snapshots --json</c> for each snapshot).
    /// </summary>
    public void WriteSnapshotProperties(Utf8JsonWriter writer, Qcow2Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(snapshot);
        writer.WriteString("id", snapshot.Id);
        writer.WriteString("name", snapshot.Name);
        writer.WriteNumber("l1_table_offset", snapshot.L1TableOffset);
        writer.WriteNumber("l1_size", snapshot.L1Size);
        writer.WriteNumber("date_sec", snapshot.DateSeconds);
        writer.WriteNumber("date_nsec", snapshot.DateNanoseconds);
        writer.WriteNumber("vm_clock_nsec", snapshot.VmClockNanoseconds);
        writer.WriteNumber("vm_state_size", snapshot.VmStateSize);
        writer.WriteNumber("extra_data_size", snapshot.ExtraDataSize);
        if (snapshot.DiskSize is { } d) writer.WriteNumber("disk_size", d); else writer.WriteNull("disk_size");
        if (snapshot.Icount is { } i && i != ulong.MaxValue) writer.WriteNumber("icount", i); else writer.WriteNull("icount");
        writer.WriteNumber("vm_state_offset", VmStateOffset(snapshot));
    }

    /// <summary>The snapshot's VM state as a read-only, seekable stream (<see cref="Qcow2Snapshot.VmStateSize"/> bytes).</summary>
    public System.IO.Stream OpenVmState(Qcow2Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.VmStateSize == 0) throw new ArgumentException($"snapshot {snapshot.Id} ('{snapshot.Name}') has no VM state (a disk-only snapshot)");
        if ((long)snapshot.L1TableOffset + snapshot.L1Size * 8L > FileLength || (snapshot.L1TableOffset & 511) != 0)
            throw Bad(snapshot.EntryOffset, "the snapshot's L1 table within the file, aligned",
                string.Create(CultureInfo.InvariantCulture, $"l1_table_offset 0x{snapshot.L1TableOffset:x}, l1_size {snapshot.L1Size}"));
        return new Qcow2VmStateStream(this, snapshot);
    }

    internal static int ReadAt(System.IO.Stream file, long origin, long offset, Span<byte> destination)
    {
        file.Position = origin + offset;
        return file.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
    }

    internal static VmStateFormatException Bad(long offset, string expected, string? found) =>
        new(VmStateError.BadContainer, offset, expected, found, record: "qcow2 image");
}
