using System.IO.Compression;

namespace Qevm.Tests.Corpus;

/// <summary>
/// The real QEMU files the tests read: the project's own fixtures (always) and the shared corpora
/// (../shared/corpus, ../shared/corpus-qemu10) when they exist beside the checkout.
/// </summary>
public static class CorpusFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string FixturesDir => Path.Combine(RepoRoot, "tests", "fixtures");

    public static string SharedDir => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static bool SharedCorpusPresent => Directory.Exists(Path.Combine(SharedDir, "corpus"));

    /// <summary>(display name, path) of every stream file; display name is <c>corpus/case/file</c>.</summary>
    public static IEnumerable<object[]> All()
    {
        foreach (var (name, path) in Enumerate()) yield return [name];
    }

    /// <summary>Only the files with an oracle table.</summary>
    public static IEnumerable<object[]> WithOracle()
    {
        foreach (var (name, path) in Enumerate())
            if (OraclePath(path) is not null) yield return [name];
    }

    public static IEnumerable<(string Name, string Path)> Enumerate()
    {
        foreach (var dir in Directory.GetDirectories(FixturesDir).Order(StringComparer.Ordinal))
            foreach (var f in (string[])["device.state", "full.mig"])
                if (File.Exists(Path.Combine(dir, f))) yield return ($"fixtures/{Path.GetFileName(dir)}/{f}", Path.Combine(dir, f));
        foreach (var corpus in (string[])["corpus", "corpus-qemu10"])
        {
            var root = Path.Combine(SharedDir, corpus);
            if (!Directory.Exists(root)) continue;
            foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
                foreach (var f in (string[])["device.state", "full.mig", "full.mig.gz"])
                    if (File.Exists(Path.Combine(dir, f))) yield return ($"{corpus}/{Path.GetFileName(dir)}/{f}", Path.Combine(dir, f));
        }
    }

    public static string PathOf(string name) =>
        Enumerate().First(e => e.Name == name).Path;

    public static string? OraclePath(string streamPath)
    {
        var dir = Path.GetDirectoryName(streamPath)!;
        var o = Path.Combine(dir, Path.GetFileName(streamPath).StartsWith("device", StringComparison.Ordinal) ? "oracle.device.json" : "oracle.full.json");
        return File.Exists(o) ? o : null;
    }

    private static readonly Dictionary<string, byte[]> Cache = [];

    /// <summary>The stream's bytes (decompressed for <c>.gz</c>), cached.</summary>
    public static byte[] Bytes(string name)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(name, out var b)) return b;
            var path = PathOf(name);
            if (path.EndsWith(".gz", StringComparison.Ordinal))
            {
                using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                b = ms.ToArray();
            }
            else b = File.ReadAllBytes(path);
            // Keep memory bounded: the mapped-ram stream is 40 MB decompressed.
            if (b.Length < 8 << 20) Cache[name] = b;
            return b;
        }
    }

    /// <summary>A file path holding the stream's bytes: the corpus file, or a decompressed copy of a <c>.gz</c>.</summary>
    public static string FilePath(string name)
    {
        var path = PathOf(name);
        if (!path.EndsWith(".gz", StringComparison.Ordinal)) return path;
        var copy = Path.Combine(Path.GetTempPath(), "qevm-" + name.Replace('/', '_')[..^3]);
        lock (Cache)
            if (!File.Exists(copy)) File.WriteAllBytes(copy, Bytes(name));
        return copy;
    }

    /// <summary>The stream without its section footers: the seed layout of docs/xen-save-devices-state.txt.</summary>
    public static byte[] WithoutFooters(byte[] stream)
    {
        var info = StreamInfo.Read(new MemoryStream(stream, writable: false));
        var stripped = new List<byte>(stream);
        foreach (var s in info.Sections.OrderByDescending(s => s.FooterOffset)) stripped.RemoveRange((int)s.FooterOffset!.Value, 5);
        return [.. stripped];
    }

    private static string FindRepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Qevm.slnx"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root (Qevm.slnx) not found above " + AppContext.BaseDirectory);
    }
}
