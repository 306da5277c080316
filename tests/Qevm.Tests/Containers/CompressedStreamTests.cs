using System.Text.Json.Nodes;

namespace Qevm.Tests.Containers;

/// <summary>gzip, zstd, xz and bzip2 bare streams: found by magic, read forward-only, written back compressed.</summary>
public sealed class CompressedStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-compressed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Formats() => ["gzip", "zstd", "xz", "bzip2"];

    private static byte[] Pack(string format, byte[] data) => format switch
    {
        "gzip" => ContainerBytes.Gzip(data),
        "zstd" => ContainerBytes.Zstd(data),
        "xz" => ContainerBytes.Xz(data),
        _ => ContainerBytes.Bzip2(data),
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryCommand_ReadsTheCompressedStream(string format)
    {
        var path = Path.Combine(_dir, "s." + format);
        File.WriteAllBytes(path, Pack(format, ContainerBytes.Stream));
        var (code, output, err) = LibvirtSaveImageTests.Run("info", path, "--json");
        Assert.True(code == 0, err);
        var j = JsonNode.Parse(output)!;
        Assert.Equal("compressed", (string)j["container"]!["kind"]!);
        Assert.Equal(format, (string)j["container"]!["compression"]!);
        var bare = JsonNode.Parse(LibvirtSaveImageTests.Run("info", ContainerBytes.FixturePath, "--json").Out)!;
        Assert.True(JsonNode.DeepEquals(bare["sections"], j["sections"]));
        Assert.Equal(0, LibvirtSaveImageTests.Run("check", path).Code);
        Assert.Equal(LibvirtSaveImageTests.Run("dump", ContainerBytes.FixturePath).Out, LibvirtSaveImageTests.Run("dump", path).Out);
        // convert keeps the compression; --compress raw gives the bare stream back byte for byte.
        var same = Path.Combine(_dir, "same");
        Assert.Equal(0, LibvirtSaveImageTests.Run("convert", path, "-o", same, "--compress", format == "xz" ? "zstd" : format).Code);
        Assert.NotNull(Compression.Detect(File.ReadAllBytes(same)));
        var raw = Path.Combine(_dir, "raw");
        Assert.Equal(0, LibvirtSaveImageTests.Run("convert", path, "-o", raw, "--compress", "raw").Code);
        Assert.Equal(ContainerBytes.Stream, File.ReadAllBytes(raw));
        // set reads twice: the file is decompressed twice, no temporary file.
        var set = Path.Combine(_dir, "set");
        Assert.Equal(0, LibvirtSaveImageTests.Run("set", path, "cpu#0/env.regs[0]=7", "-o", set, "--compress", "gzip").Code);
        Assert.Contains("cpu#0/env.regs[0] = 7 (0x7)", LibvirtSaveImageTests.Run("dump", set, "--section", "cpu").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_IsInvalid_WithTheCompression()
    {
        var z = ContainerBytes.Zstd(ContainerBytes.Stream);
        var path = Path.Combine(_dir, "cut.zst");
        File.WriteAllBytes(path, z[..(z.Length - 100)]);
        var (code, _, err) = LibvirtSaveImageTests.Run("check", path);
        Assert.Equal(1, code);
        Assert.Contains("offset 0x0 (0)", err, StringComparison.Ordinal);
        Assert.Contains("zstd", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_KnowsEachMagic_AndNotAStream()
    {
        Assert.Equal(StreamCompression.Gzip, Compression.Detect([0x1f, 0x8b, 8]));
        Assert.Equal(StreamCompression.Zstd, Compression.Detect([0x28, 0xb5, 0x2f, 0xfd]));
        Assert.Equal(StreamCompression.Xz, Compression.Detect([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]));
        Assert.Equal(StreamCompression.Bzip2, Compression.Detect("BZh9"u8));
        Assert.Null(Compression.Detect("QEVM\0\0\0\x03"u8));
    }
}
