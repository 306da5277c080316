using System.Text.Json.Nodes;

namespace Qevm.Tests.Containers;

/// <summary>Crafted libvirt save images: each header variant and compression, writing back, the XML, damage.</summary>
public sealed class LibvirtSaveImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-libvirt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    internal static (int Code, string Out, string Err) Run(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    private static JsonNode Info(string path, params string[] extra)
    {
        var (code, output, err) = Run(["info", path, "--json", .. extra]);
        Assert.True(code == 0, err);
        return JsonNode.Parse(output)!;
    }

    public static TheoryData<uint, bool, uint> Variants() => new()
    {
        { 2, false, 0 }, { 2, true, 0 }, { 1, false, 0 }, { 1, true, 0 },
        { 2, false, 1 }, { 2, true, 1 }, { 2, false, 2 }, { 2, true, 3 }, { 2, false, 5 },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void EveryHeaderVariant_ReadsTheSameSectionsAsTheBareStream(uint version, bool bigEndian, uint format)
    {
        var stream = ContainerBytes.Stream;
        byte[] payload = format switch
        {
            0 => stream,
            1 => ContainerBytes.Gzip(stream),
            2 => ContainerBytes.Bzip2(stream),
            3 => ContainerBytes.Xz(stream),
            5 => ContainerBytes.Zstd(stream),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        var image = Write("img", ContainerBytes.Libvirt(payload, version, bigEndian, format));
        var bare = Info(ContainerBytes.FixturePath);
        var j = Info(image);
        Assert.True(JsonNode.DeepEquals(bare["sections"], j["sections"]));
        Assert.True(JsonNode.DeepEquals(bare["ram"], j["ram"]));
        var c = j["container"]!;
        Assert.Equal("libvirt", (string)c["kind"]!);
        Assert.Equal(version, (uint)c["version"]!);
        Assert.Equal(bigEndian ? "big" : "little", (string)c["byte_order"]!);
        Assert.Equal(format, (uint)c["format"]!);
        Assert.Equal(ContainerBytes.Xml.Length, (int)c["xml_length"]!);
        Assert.Equal(ContainerBytes.Cookie.Length, (int)c["cookie_length"]!);
        Assert.Equal(65536, (long)c["padding"]!);
        Assert.Equal(92 + ContainerBytes.Xml.Length + 1 + ContainerBytes.Cookie.Length + 1 + 65536, (long)c["stream_offset"]!);
        Assert.Equal(0, Run("check", image).Code);
        var (code, xml, _) = Run("libvirt-xml", image);
        Assert.Equal(0, code);
        Assert.Equal(ContainerBytes.Xml, xml);
    }

    [Fact]
    public void Version1_WithoutCookie_XmlFillsDataLen()
    {
        var image = Write("v1", ContainerBytes.Libvirt(ContainerBytes.Stream, version: 1, cookie: null));
        var c = Info(image)["container"]!;
        Assert.Equal(0, (int)c["cookie_offset"]!);
        Assert.Null(c["cookie_length"]);
        Assert.Equal(65536, (long)c["padding"]!);
    }

    [Fact]
    public void Partial_IsRefusedUnlessAllowed()
    {
        var image = Write("part", ContainerBytes.Libvirt(ContainerBytes.Stream, partial: true));
        var (code, _, err) = Run("check", image);
        Assert.Equal(1, code);
        Assert.Contains("LibvirtQemudPart", err, StringComparison.Ordinal);
        Assert.Contains("--allow-partial", err, StringComparison.Ordinal);
        Assert.Equal(0, Run("check", image, "--allow-partial").Code);
        Assert.Equal("LibvirtQemudPart", (string)Info(image, "--allow-partial")["container"]!["magic"]!);
    }

    [Fact]
    public void FromAPipe_TheSameAsFromTheFile()
    {
        var bytes = ContainerBytes.Libvirt(ContainerBytes.Gzip(ContainerBytes.Stream), format: 1);
        using var pipe = new Qevm.Tests.Corpus.NonSeekableStream(new MemoryStream(bytes));
        using var input = VmStateInput.Open(pipe);
        var info = StreamInfo.Read(input);
        Assert.IsType<LibvirtSaveHeader>(info.Container);
        Assert.Equal(StreamInfo.Read(new MemoryStream(ContainerBytes.Stream)).Sections.Count, info.Sections.Count);
    }

    [Theory]
    [InlineData(0u, null, 0u)]
    [InlineData(1u, null, 1u)]
    [InlineData(5u, null, 5u)]
    [InlineData(0u, "gzip", 1u)]
    [InlineData(1u, "raw", 0u)]
    [InlineData(3u, "zstd", 5u)]
    public void Set_KeepsTheContainer(uint format, string? compress, uint expectedFormat)
    {
        var stream = ContainerBytes.Stream;
        byte[] payload = format switch { 0 => stream, 1 => ContainerBytes.Gzip(stream), 3 => ContainerBytes.Xz(stream), _ => ContainerBytes.Zstd(stream) };
        var image = Write("in", ContainerBytes.Libvirt(payload, bigEndian: true, format: format));
        var outPath = Path.Combine(_dir, "out");
        string[] args = ["set", image, "cpu#0/env.regs[0]=0x1234abcd", "-o", outPath];
        if (compress is not null) args = [.. args, "--compress", compress];
        var (code, _, err) = Run(args);
        Assert.True(code == 0, err);
        var written = File.ReadAllBytes(outPath);
        // Header words other than the format, XML, cookie and padding: as they were.
        var original = File.ReadAllBytes(image);
        Assert.Equal(original.AsSpan(0, 28).ToArray(), written.AsSpan(0, 28).ToArray());
        Assert.Equal(expectedFormat, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(written.AsSpan(28)));
        int streamOffset = 92 + ContainerBytes.Xml.Length + ContainerBytes.Cookie.Length + 2 + 65536;
        Assert.Equal(original.AsSpan(32, streamOffset - 32).ToArray(), written.AsSpan(32, streamOffset - 32).ToArray());
        var (dc, dump, _) = Run("dump", outPath, "--section", "cpu");
        Assert.Equal(0, dc);
        Assert.Contains("cpu#0/env.regs[0] = 305441741 (0x1234abcd)", dump, StringComparison.Ordinal);
        // The stream inside equals `set` on the bare stream.
        var bareOut = Path.Combine(_dir, "bare-out");
        Assert.Equal(0, Run("set", ContainerBytes.FixturePath, "cpu#0/env.regs[0]=0x1234abcd", "-o", bareOut).Code);
        using var input = VmStateInput.Open(File.OpenRead(outPath));
        using var ms = new MemoryStream();
        input.Stream.CopyTo(ms);
        Assert.Equal(File.ReadAllBytes(bareOut), ms.ToArray());
    }

    [Fact]
    public void Convert_KeepsTheImageByteForByte()
    {
        var bytes = ContainerBytes.Libvirt(ContainerBytes.Stream);
        var image = Write("in", bytes);
        var outPath = Path.Combine(_dir, "out");
        Assert.Equal(0, Run("convert", image, "-o", outPath).Code);
        Assert.Equal(bytes, File.ReadAllBytes(outPath));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    public void DumpJson_ThenCompose_GivesTheImageAgain(uint format)
    {
        var stream = ContainerBytes.Stream;
        var bytes = ContainerBytes.Libvirt(format == 0 ? stream : ContainerBytes.Gzip(stream), bigEndian: true, format: format);
        var image = Write("in", bytes);
        var (code, json, err) = Run("dump", image, "--json");
        Assert.True(code == 0, err);
        var j = JsonNode.Parse(json)!;
        Assert.Equal(ContainerBytes.Xml, (string)j["container"]!["xml"]!);
        Assert.Equal(ContainerBytes.Cookie, (string)j["container"]!["cookie"]!);
        var jsonPath = Write("dump.json", System.Text.Encoding.UTF8.GetBytes(json));
        var outPath = Path.Combine(_dir, "out");
        (code, _, err) = Run("compose", jsonPath, "-o", outPath);
        Assert.True(code == 0, err);
        var written = File.ReadAllBytes(outPath);
        if (format == 0)
        {
            Assert.Equal(bytes, written);
        }
        else
        {
            int streamOffset = 92 + ContainerBytes.Xml.Length + ContainerBytes.Cookie.Length + 2 + 65536;
            Assert.Equal(bytes[..streamOffset], written[..streamOffset]);
            using var input = VmStateInput.Open(new MemoryStream(written));
            using var ms = new MemoryStream();
            input.Stream.CopyTo(ms);
            Assert.Equal(stream, ms.ToArray());
        }
    }

    [Fact]
    public void Splice_IntoAnImage_GivesAnImage()
    {
        var image = Write("in", ContainerBytes.Libvirt(ContainerBytes.Gzip(ContainerBytes.Stream), format: 1));
        var outPath = Path.Combine(_dir, "out");
        var device = Path.Combine(Qevm.Tests.Corpus.CorpusFiles.FixturesDir, "x86-pc/device.state");
        var (code, _, err) = Run("splice", "--devices", device, "--into", image, "-o", outPath);
        Assert.True(code == 0, err);
        Assert.Equal("gzip", (string)Info(outPath)["container"]!["compression"]!);
        Assert.Equal(0, Run("check", outPath).Code);
    }

    [Fact]
    public void SetXml_ReplacesTheXml_KeepsDataLenWhenItFits_GrowsItOtherwise()
    {
        var bytes = ContainerBytes.Libvirt(ContainerBytes.Stream);
        var image = Write("in", bytes);
        var small = Write("small.xml", "<domain type='qemu'><name>renamed</name></domain>\n"u8.ToArray());
        var outPath = Path.Combine(_dir, "out");
        Assert.Equal(0, Run("libvirt-xml", image, "--set-xml", small, "-o", outPath).Code);
        Assert.Equal("<domain type='qemu'><name>renamed</name></domain>\n", Run("libvirt-xml", outPath).Out);
        var c = Info(outPath)["container"]!;
        Assert.Equal(Info(image)["container"]!["data_len"]!.GetValue<uint>(), (uint)c["data_len"]!);
        Assert.Equal(File.ReadAllBytes(image).Length, new FileInfo(outPath).Length);
        // The cookie moves right after the new XML, as libvirt writes it.
        Assert.Equal(51, (int)c["cookie_offset"]!);

        var big = Write("big.xml", System.Text.Encoding.UTF8.GetBytes("<domain>" + new string('x', 70000) + "</domain>"));
        var outBig = Path.Combine(_dir, "outbig");
        Assert.Equal(0, Run("libvirt-xml", image, "--set-xml", big, "-o", outBig).Code);
        var cb = Info(outBig)["container"]!;
        Assert.Equal(70017 + 1 + ContainerBytes.Cookie.Length + 1 + 65536, (long)cb["data_len"]!);
        Assert.Equal(0, Run("check", outBig).Code);
    }

    [Fact]
    public void Damaged_GiveExit1_WithOffsetAndExpectation()
    {
        var stream = ContainerBytes.Stream;
        // data_len past the end of the file.
        var past = ContainerBytes.Libvirt([], dataLen: 1 << 20);
        var (code, _, err) = Run("check", Write("past", past[..200]));
        Assert.Equal(1, code);
        Assert.Contains("offset 0x14 (20)", err, StringComparison.Ordinal);
        Assert.Contains("data_len within the file", err, StringComparison.Ordinal);
        // XML without its NUL: data_len ends inside the XML.
        (code, _, err) = Run("check", Write("nonul", ContainerBytes.Libvirt(stream, cookie: null, dataLen: 10)));
        Assert.Equal(1, code);
        Assert.Contains("offset 0x66 (102)", err, StringComparison.Ordinal);
        Assert.Contains("expected a NUL at the end of the domain XML", err, StringComparison.Ordinal);
        // Unknown version in both byte orders.
        var v9 = ContainerBytes.Libvirt(stream, version: 9);
        (code, _, err) = Run("check", Write("v9", v9));
        Assert.Equal(1, code);
        Assert.Contains("offset 0x10 (16)", err, StringComparison.Ordinal);
        Assert.Contains("header version 1 or 2", err, StringComparison.Ordinal);
        // A format libvirt never wrote.
        (code, _, err) = Run("check", Write("f9", ContainerBytes.Libvirt(stream, format: 9)));
        Assert.Equal(1, code);
        Assert.Contains("offset 0x1c (28)", err, StringComparison.Ordinal);
        // A truncated gzip stream: GZipStream ends quietly, so the stream inside is cut short.
        var gz = ContainerBytes.Gzip(stream);
        var cut = ContainerBytes.Libvirt(gz[..(gz.Length / 2)], format: 1);
        (code, _, err) = Run("check", Write("cut", cut));
        Assert.Equal(1, code);
        Assert.Contains("found end of data", err, StringComparison.Ordinal);
        // Damaged gzip data: the decompressor's complaint, at the compressed stream's offset.
        var bad = (byte[])gz.Clone();
        bad.AsSpan(100, 64).Fill(0xff);
        (code, _, err) = Run("check", Write("bad", ContainerBytes.Libvirt(bad, format: 1)));
        Assert.Equal(1, code);
        Assert.Contains("expected a complete gzip stream", err, StringComparison.Ordinal);
        Assert.Contains($"offset 0x{92 + ContainerBytes.Xml.Length + ContainerBytes.Cookie.Length + 2 + 65536:x}", err, StringComparison.Ordinal);
        // lzop: recognized, not supported.
        (code, _, err) = Run("check", Write("lzop", ContainerBytes.Libvirt(stream, format: 4)));
        Assert.Equal(2, code);
        Assert.Contains("lzop", err, StringComparison.Ordinal);
    }
}
