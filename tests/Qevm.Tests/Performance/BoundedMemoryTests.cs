namespace Qevm.Tests.Performance;

/// <summary>
/// A stream of 256 MiB of RAM made by the writer is read and extracted with a bounded amount of allocation:
/// no per-page objects, no whole-file buffers (the mapped window and the read buffer are the only large ones).
/// </summary>
public sealed class BoundedMemoryTests : IDisposable
{
    private const int PageSize = 4096;
    private const long RamSize = 256L << 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-big-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Fill(Span<byte> page, long index)
    {
        for (int i = 0; i < page.Length; i += 8) BitConverter.TryWriteBytes(page[i..], index * 1_000_003 + i);
    }

    private string MakeStream()
    {
        var path = Path.Combine(_dir, "big.mig");
        using var fs = File.Create(path);
        using var w = new VmStateWriter(fs);
        var block = new RamBlock { Name = "pc.ram", NameBytes = "pc.ram"u8.ToArray(), UsedLength = RamSize };
        var ram = new SectionHeader(2, "ram", 0, 4);
        w.WriteHeader();
        w.WriteConfiguration(new ConfigurationSection { Machine = "pc-i440fx-7.2" });
        w.WriteSectionHeader(RecordType.SectionStart, ram);
        w.WriteRamRecord(new IterativeItem { Kind = IterativeItemKind.RamMemSize, Flags = (ulong)RamFlags.MemSize, MemSize = RamSize }, default);
        w.WriteRamRecord(new IterativeItem { Kind = IterativeItemKind.RamBlockEntry, Block = block }, default);
        w.WriteRamRecord(new IterativeItem { Kind = IterativeItemKind.RamEos, Flags = (ulong)RamFlags.Eos }, default);
        w.WriteFooter(2);
        w.WriteSectionHeader(RecordType.SectionPart, ram);
        var page = new byte[PageSize];
        for (long i = 0; i < RamSize / PageSize; i++)
        {
            bool zero = i % 7 == 0;
            var flags = (zero ? RamFlags.Zero : RamFlags.Page) | (i == 0 ? RamFlags.None : RamFlags.Continue);
            var item = new IterativeItem { Kind = zero ? IterativeItemKind.RamZero : IterativeItemKind.RamPage, Flags = (ulong)flags, PageOffset = (ulong)(i * PageSize), Block = block };
            if (!zero) Fill(page, i);
            w.WriteRamRecord(item, zero ? default : page);
        }
        w.WriteRamRecord(new IterativeItem { Kind = IterativeItemKind.RamEos, Flags = (ulong)RamFlags.Eos }, default);
        w.WriteFooter(2);
        w.WriteSectionHeader(RecordType.SectionFull, new SectionHeader(3, "timer", 0, 2));
        w.WriteSectionData(new byte[24]);
        w.WriteFooter(3);
        w.WriteEof();
        return path;
    }

    [Fact]
    public void InfoAndExtract_OfA256MiBStream_AllocateLittle_AndExtractIsExact()
    {
        var path = MakeStream();
        Assert.True(new FileInfo(path).Length > RamSize * 6 / 7);

        long before = GC.GetAllocatedBytesForCurrentThread();
        StreamInfo info;
        using (var fs = File.OpenRead(path)) info = StreamInfo.Read(fs);
        long infoBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(RamSize / PageSize - (RamSize / PageSize + 6) / 7, info.Ram!.Pages);
        Assert.True(infoBytes < 4 << 20, $"info allocated {infoBytes} bytes for a {RamSize >> 20} MiB stream");

        var outDir = Path.Combine(_dir, "out");
        before = GC.GetAllocatedBytesForCurrentThread();
        using (var fs = File.OpenRead(path)) Extractor.Extract(fs, outDir, new ExtractOptions { Sections = false });
        long extractBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(extractBytes < 8 << 20, $"extract allocated {extractBytes} bytes");

        using var ram = File.OpenRead(Path.Combine(outDir, "ram", "pc.ram"));
        Assert.Equal(RamSize, ram.Length);
        var expected = new byte[PageSize];
        var actual = new byte[PageSize];
        for (long i = 0; i < RamSize / PageSize; i++)
        {
            ram.ReadExactly(actual);
            if (i % 7 == 0) Array.Clear(expected);
            else Fill(expected, i);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"page {i} differs");
        }
    }
}

/// <summary>Every real stream extracts: each RAM block file has the block's length, XBZRLE runs all apply.</summary>
public sealed class ExtractEveryStreamTests
{
    public static IEnumerable<object[]> Streams() =>
        Qevm.Tests.Corpus.CorpusFiles.Enumerate().Where(e => e.Name.Contains("/full.mig", StringComparison.Ordinal)).Select(e => new object[] { e.Name });

    [Theory]
    [MemberData(nameof(Streams))]
    public void Extract_WritesEveryBlockAtItsLength(string name)
    {
        var dir = Directory.CreateTempSubdirectory("qevm-x-").FullName;
        try
        {
            var bytes = Qevm.Tests.Corpus.CorpusFiles.Bytes(name);
            var files = Extractor.Extract(new MemoryStream(bytes, writable: false), dir);
            var info = StreamInfo.Read(new MemoryStream(bytes, writable: false));
            foreach (var b in info.Ram!.Blocks)
                Assert.Equal((long)b.UsedLength, new FileInfo(Path.Combine(dir, "ram", Extractor.SafeName(b.Name))).Length);
            Assert.Contains(files, f => f.EndsWith("state.json", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
