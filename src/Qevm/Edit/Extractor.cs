using System.IO.Compression;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Qevm.IO;
using Qevm.Ram;

namespace Qevm.Edit;

/// <summary>What <see cref="Extractor"/> writes.</summary>
public sealed record ExtractOptions
{
    /// <summary>Write the RAM blocks.</summary>
    public bool Ram { get; init; } = true;

    /// <summary>Write the device sections, desc.json and state.json.</summary>
    public bool Sections { get; init; } = true;

    /// <summary>Description sources for state.json, after the stream's own trailer.</summary>
    public IReadOnlyList<ISchemaSource>? Schemas { get; init; }

    /// <summary>Told the input offset now and then.</summary>
    public IProgress<long>? Progress { get; init; }
}

/// <summary>
/// Writes a stream's content as files in one forward pass: each RAM block as a sparse file with its pages at
/// their offsets (zero pages as holes; XBZRLE and zlib pages applied; mapped-ram pages from the bitmap), each
/// device section's data as <c>sections/IDSTR#INSTANCE.bin</c>, the trailer as <c>desc.json</c> and the
/// decoded state as <c>state.json</c>.
/// </summary>
public static class Extractor
{
    /// <summary>Extracts <paramref name="input"/> into <paramref name="directory"/>; returns the files written.</summary>
    public static List<string> Extract(System.IO.Stream input, string directory, ExtractOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(directory);
        options ??= new ExtractOptions();
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        using var ram = new RamFiles(Path.Combine(directory, "ram"), written);
        long items = 0;
        var dump = StateDump.Read(input, options.Schemas, r =>
        {
            if (options.Ram && r.Section!.Idstr == "ram") ram.Add(r);
            if ((++items & 0xFFF) == 0) options.Progress?.Report(r.Position);
        });
        if (options.Sections)
        {
            var sections = Path.Combine(directory, "sections");
            Directory.CreateDirectory(sections);
            foreach (var s in dump.Sections)
            {
                var path = Path.Combine(sections, SafeName(s.Path) + ".bin");
                File.WriteAllBytes(path, s.Payload);
                written.Add(path);
            }
            if (OwnTrailerJson(input, dump) is { } json)
            {
                var desc = Path.Combine(directory, "desc.json");
                File.WriteAllBytes(desc, json);
                written.Add(desc);
            }
            var state = Path.Combine(directory, "state.json");
            using (var fs = File.Create(state))
            using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true }))
                StateJson.Write(dump, w);
            written.Add(state);
        }
        options.Progress?.Report(dump.Info.EofOffset);
        return written;
    }

    private static byte[]? OwnTrailerJson(System.IO.Stream input, StateDump dump)
    {
        if (dump.Info.Trailer is not { } t || !input.CanSeek) return null;
        var bytes = new byte[t.Length];
        long keep = input.Position;
        input.Position = t.Offset + 5;
        input.ReadExactly(bytes);
        input.Position = keep;
        return bytes;
    }

    /// <summary>A file name for an idstr or block name: path separators and unsafe characters become '_'.</summary>
    public static string SafeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (chars[i] is '/' or '\\' or '\0' || char.IsControl(chars[i])) chars[i] = '_';
        var s = new string(chars).TrimStart('.');
        return s.Length == 0 ? "_" : s;
    }

    // The RAM blocks as sparse files of their own (the block's length, written at page offsets) through the one page walk.
    private sealed class RamFiles : IDisposable
    {
        private readonly List<SafeFileHandle> _files = [];
        private readonly RamPageWriter _pages;

        public RamFiles(string directory, List<string> written) => _pages = new RamPageWriter(block =>
        {
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, SafeName(block.Name));
            // A handle, not a FileStream: FileStream.SafeFileHandle syncs the position (an lseek) on every use. And a
            // new file rather than a truncated one: ext4 writes a file that was truncated to 0 back when it is closed.
            File.Delete(path);
            var fs = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
            _files.Add(fs);
            RandomAccess.SetLength(fs, (long)block.UsedLength); // sparse: pages never written stay holes
            written.Add(path);
            return [new PageTarget(fs, 0, block.UsedLength, 0)];
        });

        public void Add(VmStateReader r) => _pages.Add(r);

        public void Dispose()
        {
            _pages.Dispose();
            foreach (var f in _files) f.Dispose();
        }
    }
}
