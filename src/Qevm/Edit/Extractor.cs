using System.IO.Compression;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Qevm.IO;

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

    // The RAM blocks as sparse files, written at page offsets; remembers which pages hold data, so that a later
    // zero page clears them.
    private sealed class RamFiles(string directory, List<string> written) : IDisposable
    {
        private readonly Dictionary<RamBlock, (SafeFileHandle File, System.Collections.BitArray Written)> _files = [];
        private byte[] _page = [];
        private byte[] _zero = [];

        public void Add(VmStateReader r)
        {
            var item = r.Item;
            switch (item.Kind)
            {
                case IterativeItemKind.RamBlockEntry:
                    Open(item.Block!, r.PageSize);
                    break;
                case IterativeItemKind.RamZero:
                    var (zf, zw) = Get(item.Block!, r.PageSize);
                    long zi = (long)item.PageOffset / _page.Length;
                    if (item.FillByte != 0)
                    {
                        Array.Fill(_page, item.FillByte);
                        Write(zf, zw, item.PageOffset, _page);
                    }
                    else if (zw[(int)zi])
                    {
                        Flush();
                        RandomAccess.Write(zf, _zero, (long)item.PageOffset);
                        zw[(int)zi] = false;
                    }
                    break;
                case IterativeItemKind.RamPage:
                    var (pf, pw) = Get(item.Block!, r.PageSize);
                    // From a mapped input, pages are written from the mapping itself (flushed before it moves).
                    _stable ??= GatherWriter.Supported && r.KeepItemData(Flush);
                    Write(pf, pw, item.PageOffset, r.ItemData, fromMapping: _stable == true);
                    break;
                case IterativeItemKind.RamCompressedPage:
                    var (cf, cw) = Get(item.Block!, r.PageSize);
                    using (var z = new ZLibStream(new MemoryStream(r.ItemData.ToArray()), CompressionMode.Decompress))
                    {
                        int n = z.ReadAtLeast(_page, _page.Length, throwOnEndOfStream: false);
                        Write(cf, cw, item.PageOffset, _page.AsSpan(0, n));
                    }
                    break;
                case IterativeItemKind.RamXbzrle:
                    var (xf, xw) = Get(item.Block!, r.PageSize);
                    Flush();
                    RandomAccess.Read(xf, _page, (long)item.PageOffset);
                    Xbzrle.Apply(r.ItemData, _page, item.Offset);
                    Write(xf, xw, item.PageOffset, _page);
                    break;
                case IterativeItemKind.RamMappedRegion:
                    var region = r.MappedRegion;
                    var (mf, mw) = Get(item.Block!, (int)region.PageSize);
                    var bitmap = r.ReadMappedBitmap();
                    var page = _page.AsSpan(0, (int)region.PageSize);
                    foreach (var p in region.PresentPages(bitmap))
                    {
                        r.ReadRegion(p.At, page);
                        Write(mf, mw, p.BlockOffset, page);
                    }
                    break;
            }
        }

        // Consecutive pages of one block are gathered into one write of up to 1 MiB: far fewer system calls.
        private const int RunLimit = 1 << 20;
        private readonly byte[] _run = new byte[RunLimit];
        private SafeFileHandle? _runFile;
        private long _runStart;
        private int _runLength;

        private readonly GatherWriter _gather = new();
        private bool? _stable;

        // fromMapping: data stays valid until the input's window moves, so it is queued for pwritev, not copied.
        private void Write(SafeFileHandle f, System.Collections.BitArray w, ulong address, ReadOnlySpan<byte> data, bool fromMapping = false)
        {
            w[(int)((long)address / _page.Length)] = true;
            if (fromMapping)
            {
                if (_runLength > 0) Flush();
                _gather.Append(f, (long)address, data);
                return;
            }
            if (_gather.Pending) _gather.Flush();
            if (_runFile != f || (long)address != _runStart + _runLength || _runLength + data.Length > RunLimit)
            {
                Flush();
                _runFile = f;
                _runStart = (long)address;
            }
            data.CopyTo(_run.AsSpan(_runLength));
            _runLength += data.Length;
        }

        private void Flush()
        {
            _gather.Flush();
            if (_runFile is not null && _runLength > 0) RandomAccess.Write(_runFile, _run.AsSpan(0, _runLength), _runStart);
            _runLength = 0;
        }

        private (SafeFileHandle, System.Collections.BitArray) Get(RamBlock block, int pageSize) =>
            _files.TryGetValue(block, out var f) ? f : Open(block, pageSize);

        private (SafeFileHandle, System.Collections.BitArray) Open(RamBlock block, int pageSize)
        {
            if (_files.TryGetValue(block, out var existing)) return existing;
            pageSize = pageSize > 0 ? pageSize : 4096;
            if (_page.Length != pageSize)
            {
                _page = new byte[pageSize];
                _zero = new byte[pageSize];
            }
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, SafeName(block.Name));
            // A handle, not a FileStream: FileStream.SafeFileHandle syncs the position (an lseek) on every use. And a
            // new file rather than a truncated one: ext4 writes a file that was truncated to 0 back when it is closed.
            File.Delete(path);
            var fs = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
            RandomAccess.SetLength(fs, (long)block.UsedLength); // sparse: pages never written stay holes
            written.Add(path);
            var entry = (fs, new System.Collections.BitArray((int)Math.Max(1, (long)block.UsedLength / pageSize)));
            _files[block] = entry;
            return entry;
        }

        public void Dispose()
        {
            Flush();
            foreach (var (f, _) in _files.Values) f.Dispose();
        }
    }
}
