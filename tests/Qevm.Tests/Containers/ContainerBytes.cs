using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Containers;

/// <summary>Builds container files byte by byte, as libvirt and QEMU lay them out, around the project's fixture stream.</summary>
internal static class ContainerBytes
{
    public static string FixturePath => Path.Combine(CorpusFiles.FixturesDir, "x86-pc/full.mig");

    public static byte[] Stream => File.ReadAllBytes(FixturePath);

    public const string Xml = "<domain type='qemu'>\n  <name>t</name>\n</domain>\n";
    public const string Cookie = "<qemu-save-cookie>\n  <cpu mode='custom'/>\n</qemu-save-cookie>\n";

    /// <summary>A libvirt save image: header (version, byte order, format as given), XML, cookie, 64 KiB padding, payload.</summary>
    public static byte[] Libvirt(byte[] payload, uint version = 2, bool bigEndian = false, uint format = 0, bool partial = false,
        string xml = Xml, string? cookie = Cookie, uint? dataLen = null)
    {
        var x = Encoding.UTF8.GetBytes(xml + "\0");
        var c = cookie is null ? [] : Encoding.UTF8.GetBytes(cookie + "\0");
        uint len = dataLen ?? (uint)(x.Length + c.Length + 65536);
        var h = new byte[92];
        Encoding.ASCII.GetBytes(partial ? "LibvirtQemudPart" : "LibvirtQemudSave").CopyTo(h, 0);
        uint[] words = [version, len, 1, format, cookie is null ? 0u : (uint)x.Length];
        for (int i = 0; i < words.Length; i++)
        {
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16 + 4 * i), words[i]);
            else BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16 + 4 * i), words[i]);
        }
        var data = new byte[Math.Max(len, x.Length + c.Length)];
        x.CopyTo(data, 0);
        c.CopyTo(data, x.Length);
        return [.. h, .. data.AsSpan(0, (int)Math.Min(len, data.Length)), .. payload];
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest)) z.Write(data);
        return ms.ToArray();
    }

    public static byte[] Zstd(byte[] data)
    {
        using var c = new ZstdSharp.Compressor(3);
        return c.Wrap(data).ToArray();
    }

    public static byte[] Bzip2(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = Compression.Compress(ms, StreamCompression.Bzip2)) z.Write(data);
        return ms.ToArray();
    }

    /// <summary>xz through the xz program (SharpCompress only reads xz).</summary>
    public static byte[] Xz(byte[] data) => Tool("xz", "-c", data);

    public static byte[] Tool(string program, string args, byte[] input)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(program, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException(program + " did not start");
        var copy = Task.Run(() => { p.StandardInput.BaseStream.Write(input); p.StandardInput.Close(); });
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        copy.Wait();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return ms.ToArray();
    }

    /// <summary>How the qcow2 builder stores each VM-state cluster.</summary>
    public enum ClusterKind { Normal, Unallocated, Zero, Compressed }

    /// <summary>
    /// A qcow2 image (4 KiB clusters, 1 MiB virtual disk, empty) with one snapshot whose VM state is
    /// <paramref name="vmState"/>, stored cluster by cluster as <paramref name="kind"/> says (zero clusters may only
    /// hold zeros). Version 2 or 3; v3 with a compression type (0 zlib, 1 zstd) and optionally extended L2 entries.
    /// </summary>
    public static byte[] Qcow2(byte[] vmState, Func<int, byte[], ClusterKind> kind, uint version = 3, byte compressionType = 0,
        bool extendedL2 = false, bool largeSizeOnly = false)
    {
        const int bits = 12, cs = 1 << bits;
        const ulong diskSize = 1 << 20;
        int entryLen = extendedL2 ? 16 : 8;
        int l2Bits = bits - (extendedL2 ? 4 : 3);
        long vmOffset = (long)((diskSize + (1UL << (bits + l2Bits)) - 1) >> (bits + l2Bits)) << (bits + l2Bits);
        int l1Index = (int)(vmOffset >> (bits + l2Bits));
        var file = new MemoryStream();
        file.SetLength(4 * cs); // header, snapshot table, L1, L2
        long end = 4 * cs;
        var l2 = new byte[cs];
        int clusters = (vmState.Length + cs - 1) / cs;
        Assert.True(clusters <= cs / entryLen, "the VM state fits one L2 table");
        for (int i = 0; i < clusters; i++)
        {
            var data = new byte[cs];
            vmState.AsSpan(i * cs, Math.Min(cs, vmState.Length - i * cs)).CopyTo(data);
            var e = l2.AsSpan(i * entryLen);
            switch (kind(i, data))
            {
                case ClusterKind.Unallocated:
                    Assert.True(data.All(b => b == 0));
                    break;
                case ClusterKind.Zero:
                    Assert.True(data.All(b => b == 0));
                    if (extendedL2) BinaryPrimitives.WriteUInt64BigEndian(e[8..], 0xFFFFFFFF00000000);
                    else BinaryPrimitives.WriteUInt64BigEndian(e, 1);
                    break;
                case ClusterKind.Compressed:
                {
                    byte[] packed;
                    if (compressionType == 0)
                    {
                        using var ms = new MemoryStream();
                        using (var d = new DeflateStream(ms, CompressionLevel.Optimal)) d.Write(data);
                        packed = ms.ToArray();
                    }
                    else packed = Zstd(data);
                    long coffset = end; // packed right after the previous one, as QEMU does
                    file.Position = coffset;
                    file.Write(packed);
                    end = coffset + packed.Length;
                    long sectors = ((coffset & 511) + packed.Length + 511) / 512;
                    int shift = 62 - (bits - 8);
                    ulong entry = (1UL << 62) | ((ulong)(sectors - 1) << shift) | (ulong)coffset;
                    BinaryPrimitives.WriteUInt64BigEndian(e, entry);
                    break;
                }
                default:
                {
                    long host = (end + cs - 1) & ~(long)(cs - 1);
                    file.Position = host;
                    file.Write(data);
                    end = host + cs;
                    BinaryPrimitives.WriteUInt64BigEndian(e, (1UL << 63) | (ulong)host);
                    if (extendedL2)
                    {
                        // Subclusters that hold only zeros are marked zero, the others allocated.
                        ulong bitmap = 0;
                        for (int sc = 0; sc < 32; sc++)
                            bitmap |= data.AsSpan(sc * 128, 128).ContainsAnyExcept((byte)0) ? 1UL << sc : 1UL << (32 + sc);
                        BinaryPrimitives.WriteUInt64BigEndian(e[8..], bitmap);
                    }
                    break;
                }
            }
        }
        file.SetLength(Math.Max(file.Length, end));
        // L2 at cluster 3, L1 (l1Index + 1 entries) at cluster 2.
        file.Position = 3 * cs;
        file.Write(l2);
        var l1 = new byte[8 * (l1Index + 1)];
        BinaryPrimitives.WriteUInt64BigEndian(l1.AsSpan(8 * l1Index), (1UL << 63) | 3 * cs);
        file.Position = 2 * cs;
        file.Write(l1);
        // Snapshot table at cluster 1.
        var id = "1"u8.ToArray();
        var name = "snap1"u8.ToArray();
        var extra = new byte[24];
        BinaryPrimitives.WriteUInt64BigEndian(extra, (ulong)vmState.Length);
        BinaryPrimitives.WriteUInt64BigEndian(extra.AsSpan(8), diskSize);
        BinaryPrimitives.WriteUInt64BigEndian(extra.AsSpan(16), ulong.MaxValue);
        var sn = new byte[40];
        BinaryPrimitives.WriteUInt64BigEndian(sn, 2 * cs);
        BinaryPrimitives.WriteUInt32BigEndian(sn.AsSpan(8), (uint)(l1Index + 1));
        BinaryPrimitives.WriteUInt16BigEndian(sn.AsSpan(12), (ushort)id.Length);
        BinaryPrimitives.WriteUInt16BigEndian(sn.AsSpan(14), (ushort)name.Length);
        BinaryPrimitives.WriteUInt32BigEndian(sn.AsSpan(16), 1_700_000_000);
        BinaryPrimitives.WriteUInt64BigEndian(sn.AsSpan(24), 1_500_000_000);
        // The 32-bit field stays 0 when the state is "too large" for it; the extra data holds the size.
        BinaryPrimitives.WriteUInt32BigEndian(sn.AsSpan(32), largeSizeOnly ? 0u : (uint)vmState.Length);
        BinaryPrimitives.WriteUInt32BigEndian(sn.AsSpan(36), (uint)extra.Length);
        file.Position = cs;
        file.Write(sn);
        file.Write(extra);
        file.Write(id);
        file.Write(name);
        // Header.
        var h = new byte[version == 3 ? 112 : 72];
        BinaryPrimitives.WriteUInt32BigEndian(h, 0x514649fb);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), version);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(20), bits);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(24), diskSize);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(36), 1);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(40), 2 * cs); // the image's own L1 (empty disk)
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(60), 1);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(64), cs);
        if (version == 3)
        {
            ulong incompat = (compressionType != 0 ? 1UL << 3 : 0) | (extendedL2 ? 1UL << 4 : 0);
            BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(72), incompat);
            BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(96), 4);
            BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(100), 112);
            h[104] = compressionType;
        }
        file.Position = 0;
        file.Write(h);
        return file.ToArray();
    }

    /// <summary>Cluster kinds that use every case: zero clusters alternate unallocated/zero, every third other one compressed.</summary>
    public static ClusterKind Mixed(int index, byte[] data) =>
        !data.AsSpan().ContainsAnyExcept((byte)0) ? (index % 2 == 0 ? ClusterKind.Unallocated : ClusterKind.Zero)
        : index % 3 == 1 ? ClusterKind.Compressed : ClusterKind.Normal;
}
