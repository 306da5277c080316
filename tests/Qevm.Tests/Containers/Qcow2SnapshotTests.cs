namespace Qevm.Tests.Containers;

/// <summary>Crafted qcow2 images: v2/v3, zlib/zstd, extended L2, unallocated/zero/compressed clusters, damage.</summary>
public sealed class Qcow2SnapshotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-qcow2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("n") + ".qcow2");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ContainerBytes.ClusterKind V2(int i, byte[] d) =>
        ContainerBytes.Mixed(i, d) == ContainerBytes.ClusterKind.Zero ? ContainerBytes.ClusterKind.Unallocated : ContainerBytes.Mixed(i, d);

    [Theory]
    [InlineData(2u, (byte)0, false, false)]
    [InlineData(3u, (byte)0, false, false)]
    [InlineData(3u, (byte)1, false, false)]
    [InlineData(3u, (byte)0, true, false)]
    [InlineData(3u, (byte)1, true, true)]
    public void VmState_ReadsBackExactly(uint version, byte compressionType, bool extendedL2, bool largeSizeOnly)
    {
        // Byte for byte: a state with all-zero clusters among random ones (a stream seldom has 4 KiB of zeros).
        var random = new byte[100 * 4096 + 1234];
        new Random(7).NextBytes(random);
        for (int z = 0; z < 100; z += 4) Array.Clear(random, z * 4096, 4096);
        Array.Clear(random, 5 * 4096 + 512, 1024); // zero subclusters inside an allocated cluster
        int compressed = 0, zero = 0;
        var synthetic = ContainerBytes.Qcow2(random, (i, d) =>
        {
            var k = version == 2 ? V2(i, d) : ContainerBytes.Mixed(i, d);
            if (k == ContainerBytes.ClusterKind.Compressed) compressed++;
            if (k is ContainerBytes.ClusterKind.Zero or ContainerBytes.ClusterKind.Unallocated) zero++;
            return k;
        }, version, compressionType, extendedL2, largeSizeOnly);
        Assert.True(compressed > 10 && zero > 10, $"{compressed} compressed, {zero} zero clusters");
        using (var input = VmStateInput.Open(new MemoryStream(synthetic), new VmStateInputOptions { Snapshot = "snap1" }))
        {
            using var ms = new MemoryStream();
            input.Stream.CopyTo(ms);
            Assert.Equal(random, ms.ToArray());
        }
        // A real stream in the same layout: every command reads it.
        var state = ContainerBytes.Stream;
        var path = Write(ContainerBytes.Qcow2(state, (i, d) => version == 2 ? V2(i, d) : ContainerBytes.Mixed(i, d), version, compressionType, extendedL2, largeSizeOnly));
        using (var input = VmStateInput.Open(File.OpenRead(path), new VmStateInputOptions { Snapshot = "snap1" }))
        {
            using var ms = new MemoryStream();
            input.Stream.CopyTo(ms);
            Assert.Equal(state, ms.ToArray());
            var c = Assert.IsType<Qcow2SnapshotContainer>(input.Container);
            Assert.Equal(state.Length, c.Snapshot.VmStateSize);
            Assert.Equal(extendedL2 ? 1L << 20 : 2L << 20, c.Image.VmStateOffset(c.Snapshot));
        }
        Assert.Equal(0, LibvirtSaveImageTests.Run("check", path, "--snapshot", "1").Code);
        Assert.Equal(LibvirtSaveImageTests.Run("dump", ContainerBytes.FixturePath).Out, LibvirtSaveImageTests.Run("dump", path, "--snapshot", "snap1").Out);
        var (code, list, err) = LibvirtSaveImageTests.Run("snapshots", path);
        Assert.True(code == 0, err);
        var lines = list.Split('\n');
        Assert.Equal("Snapshot list:", lines[0]);
        Assert.Equal("ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT", lines[1]);
        Assert.StartsWith("1         snap1             590 KiB", lines[2], StringComparison.Ordinal);
        Assert.EndsWith(" 00:00:01.500           ", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("1 snap1: migration, machine pc-i440fx-7.2, 33 section records, RAM 16 MiB", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_WritesTheStreamOut_Set_IsRefused()
    {
        var path = Write(ContainerBytes.Qcow2(ContainerBytes.Stream, ContainerBytes.Mixed));
        var outPath = Path.Combine(_dir, "out.mig");
        Assert.Equal(0, LibvirtSaveImageTests.Run("convert", path, "--snapshot", "snap1", "-o", outPath).Code);
        Assert.Equal(ContainerBytes.Stream, File.ReadAllBytes(outPath));
        var (code, _, err) = LibvirtSaveImageTests.Run("set", path, "--snapshot", "snap1", "cpu#0/env.regs[0]=1", "-o", Path.Combine(_dir, "x"));
        Assert.Equal(2, code);
        Assert.Contains("writing into a qcow2 snapshot is not supported", err, StringComparison.Ordinal);
        Assert.Contains("qevm convert", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x")));
        // Without --snapshot: a clear request for one.
        (code, _, err) = LibvirtSaveImageTests.Run("info", path);
        Assert.Equal(2, code);
        Assert.Contains("--snapshot", err, StringComparison.Ordinal);
        (code, _, err) = LibvirtSaveImageTests.Run("info", path, "--snapshot", "nope");
        Assert.Equal(2, code);
        Assert.Contains("1 snap1", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Damaged_GiveExit1_WithOffsetAndExpectation()
    {
        var good = ContainerBytes.Qcow2(ContainerBytes.Stream, (_, _) => ContainerBytes.ClusterKind.Normal);
        // An L2 entry pointing past the end of the file (cluster 3 holds the L2 table; 8-byte entries).
        var l2Past = (byte[])good.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(l2Past.AsSpan(3 * 4096 + 8 * 5), (1UL << 63) | (1UL << 40));
        var (code, _, err) = LibvirtSaveImageTests.Run("check", Write(l2Past), "--snapshot", "1");
        Assert.Equal(1, code);
        Assert.Contains($"offset 0x{3 * 4096 + 40:x}", err, StringComparison.Ordinal);
        Assert.Contains("an L2 entry pointing to a cluster within the file", err, StringComparison.Ordinal);
        // An L2 entry pointing to its own L2 table (a loop in the tables).
        var loop = (byte[])good.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(loop.AsSpan(3 * 4096 + 8 * 7), (1UL << 63) | (3 * 4096));
        (code, _, err) = LibvirtSaveImageTests.Run("check", Write(loop), "--snapshot", "1");
        Assert.Equal(1, code);
        Assert.Contains($"offset 0x{3 * 4096 + 56:x}", err, StringComparison.Ordinal);
        Assert.Contains("not to the header, the L1 table or this L2 table", err, StringComparison.Ordinal);
        // An L1 entry pointing past the end.
        var l1Past = (byte[])good.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(l1Past.AsSpan(2 * 4096 + 8 * 1), (1UL << 63) | (1UL << 40));
        (code, _, err) = LibvirtSaveImageTests.Run("check", Write(l1Past), "--snapshot", "1");
        Assert.Equal(1, code);
        Assert.Contains($"offset 0x{2 * 4096 + 8:x}", err, StringComparison.Ordinal);
        Assert.Contains("an L1 entry pointing to an L2 table within the file", err, StringComparison.Ordinal);
        // A snapshot table past the end.
        var tablePast = (byte[])good.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(tablePast.AsSpan(64), 1UL << 40);
        (code, _, err) = LibvirtSaveImageTests.Run("snapshots", Write(tablePast));
        Assert.Equal(1, code);
        Assert.Contains("a snapshot table entry within the file", err, StringComparison.Ordinal);
        // A corrupt compressed cluster.
        var comp = ContainerBytes.Qcow2(ContainerBytes.Stream, (i, _) => i == 0 ? ContainerBytes.ClusterKind.Compressed : ContainerBytes.ClusterKind.Normal);
        ulong entry = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(comp.AsSpan(3 * 4096));
        long coffset = (long)(entry & ((1UL << 58) - 1));
        comp.AsSpan((int)coffset, 16).Fill(0xff);
        (code, _, err) = LibvirtSaveImageTests.Run("check", Write(comp), "--snapshot", "1");
        Assert.Equal(1, code);
        Assert.Contains($"offset 0x{coffset:x}", err, StringComparison.Ordinal);
        Assert.Contains("zlib-compressed cluster", err, StringComparison.Ordinal);
    }
}
