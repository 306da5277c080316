using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace Qevm.Container;

/// <summary>
/// A snapshot's VM state read through its L1 and L2 tables: allocated clusters (and subclusters) from the file,
/// unallocated and zero clusters as zeros, compressed clusters inflated (zlib raw deflate or zstd).
/// </summary>
internal sealed class Qcow2VmStateStream : System.IO.Stream
{
    private const ulong OffsetMask = 0x00fffffffffffe00;
    private const ulong CompressedFlag = 1UL << 62;

    private readonly Qcow2Image _image;
    private readonly Qcow2Snapshot _snapshot;
    private readonly long _base;
    private readonly long _length;
    private readonly Dictionary<long, byte[]> _l2Cache = [];
    private readonly byte[] _cluster;
    private long _cachedCluster = -1;
    private long _pos;

    public Qcow2VmStateStream(Qcow2Image image, Qcow2Snapshot snapshot)
    {
        _image = image;
        _snapshot = snapshot;
        _base = image.VmStateOffset(snapshot);
        _length = snapshot.VmStateSize;
        _cluster = new byte[image.ClusterSize];
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _pos; set => _pos = value; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int total = 0;
        while (buffer.Length > 0 && _pos < _length)
        {
            long guest = _base + _pos;
            long clusterIndex = guest >> _image.ClusterBits;
            int inCluster = (int)(guest & (_image.ClusterSize - 1));
            int n = (int)Math.Min(Math.Min(buffer.Length, _image.ClusterSize - inCluster), _length - _pos);
            if (_cachedCluster != clusterIndex)
            {
                LoadCluster(clusterIndex);
                _cachedCluster = clusterIndex;
            }
            _cluster.AsSpan(inCluster, n).CopyTo(buffer);
            buffer = buffer[n..];
            _pos += n;
            total += n;
        }
        return total;
    }

    private void LoadCluster(long clusterIndex)
    {
        var image = _image;
        long l1Index = clusterIndex >> image.L2Bits;
        Array.Clear(_cluster);
        if (l1Index >= _snapshot.L1Size) return; // beyond the L1 table: unallocated
        long l1EntryOffset = (long)_snapshot.L1TableOffset + l1Index * 8;
        Span<byte> e = stackalloc byte[16];
        Qcow2Image.ReadAt(image.File, image.Origin, l1EntryOffset, e[..8]);
        long l2Offset = (long)(BinaryPrimitives.ReadUInt64BigEndian(e) & OffsetMask);
        if (l2Offset == 0) return;
        if (l2Offset + image.ClusterSize > image.FileLength)
            throw Qcow2Image.Bad(l1EntryOffset, "an L1 entry pointing to an L2 table within the file", Hex(l2Offset));
        if (IsMetadata(l2Offset, -1))
            throw Qcow2Image.Bad(l1EntryOffset, "an L1 entry pointing to an L2 table that is not the header or the L1 table", Hex(l2Offset));
        if (!_l2Cache.TryGetValue(l2Offset, out var l2))
        {
            l2 = new byte[image.ClusterSize];
            Qcow2Image.ReadAt(image.File, image.Origin, l2Offset, l2);
            if (_l2Cache.Count > 64) _l2Cache.Clear();
            _l2Cache[l2Offset] = l2;
        }
        int l2Index = (int)(clusterIndex & ((1L << image.L2Bits) - 1));
        long l2EntryOffset = l2Offset + (long)l2Index * image.L2EntryLength;
        ulong entry = BinaryPrimitives.ReadUInt64BigEndian(l2.AsSpan(l2Index * image.L2EntryLength));
        if ((entry & CompressedFlag) != 0)
        {
            ReadCompressed(entry, l2EntryOffset);
            return;
        }
        long host = (long)(entry & OffsetMask);
        if (!image.ExtendedL2)
        {
            // Bit 0: reads as zeros (v3); no host offset: unallocated, and a VM state has no backing file to show.
            if ((entry & 1) != 0 || host == 0) return;
            CheckHost(host, l2EntryOffset, l2Offset);
            Qcow2Image.ReadAt(image.File, image.Origin, host, _cluster);
            return;
        }
        ulong bitmap = BinaryPrimitives.ReadUInt64BigEndian(l2.AsSpan(l2Index * 16 + 8));
        if (bitmap == 0 || host == 0) return;
        CheckHost(host, l2EntryOffset, l2Offset);
        int sub = image.ClusterSize / 32;
        for (int i = 0; i < 32; i++)
        {
            bool zero = (bitmap >> (32 + i) & 1) != 0;
            bool allocated = (bitmap >> i & 1) != 0;
            if (allocated && !zero) Qcow2Image.ReadAt(image.File, image.Origin, host + (long)i * sub, _cluster.AsSpan(i * sub, sub));
        }
    }

    private void CheckHost(long host, long l2EntryOffset, long l2Offset)
    {
        if ((host & (_image.ClusterSize - 1)) != 0 || host + _image.ClusterSize > _image.FileLength)
            throw Qcow2Image.Bad(l2EntryOffset, "an L2 entry pointing to a cluster within the file, cluster-aligned", Hex(host));
        // A data cluster that is the tables themselves: the tables loop back on themselves.
        if (IsMetadata(host, l2Offset))
            throw Qcow2Image.Bad(l2EntryOffset, "an L2 entry pointing to a data cluster, not to the header, the L1 table or this L2 table", Hex(host));
    }

    private bool IsMetadata(long cluster, long l2Offset)
    {
        long end = cluster + _image.ClusterSize;
        long l1 = (long)_snapshot.L1TableOffset, l1End = l1 + _snapshot.L1Size * 8L;
        return cluster == 0 || cluster == l2Offset || (cluster < l1End && l1 < end);
    }

    private void ReadCompressed(ulong entry, long l2EntryOffset)
    {
        var image = _image;
        int shift = 62 - (image.ClusterBits - 8);
        ulong mask = (1UL << (image.ClusterBits - 8)) - 1;
        long coffset = (long)(entry & ((1UL << shift) - 1));
        long sectors = (long)((entry >> shift) & mask) + 1;
        long csize = sectors * 512 - (coffset & 511);
        if (coffset >= image.FileLength)
            throw Qcow2Image.Bad(l2EntryOffset, "a compressed cluster within the file", Hex(coffset));
        // The last compressed cluster may end past the file (QEMU reads what is there).
        csize = Math.Min(csize, image.FileLength - coffset);
        var data = new byte[csize];
        Qcow2Image.ReadAt(image.File, image.Origin, coffset, data);
        int got;
        try
        {
            if (image.CompressionType == 0)
            {
                using var inflate = new DeflateStream(new MemoryStream(data), CompressionMode.Decompress);
                got = inflate.ReadAtLeast(_cluster, _cluster.Length, throwOnEndOfStream: false);
            }
            else
            {
                // As QEMU: decompress until the cluster is full; bytes after the frame are not looked at.
                using var zstd = new ZstdSharp.DecompressionStream(new MemoryStream(data));
                got = zstd.ReadAtLeast(_cluster, _cluster.Length, throwOnEndOfStream: false);
            }
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException or ArgumentException or EndOfStreamException or IOException)
        {
            throw Qcow2Image.Bad(coffset, $"a {(image.CompressionType == 0 ? "zlib" : "zstd")}-compressed cluster", e.Message);
        }
        if (got != _cluster.Length)
            throw Qcow2Image.Bad(coffset, string.Create(CultureInfo.InvariantCulture, $"a compressed cluster of {_cluster.Length} bytes"),
                string.Create(CultureInfo.InvariantCulture, $"{got} bytes"));
    }

    private static string Hex(long v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    public override long Seek(long offset, SeekOrigin origin) => _pos = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _pos + offset,
        _ => _length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _image.File.Dispose();
        base.Dispose(disposing);
    }
}
