using System.IO.Compression;

namespace Qevm.Edit;

/// <summary>
/// The final content of every RAM page a stream sends, as a hash per page and block (last write wins; zero
/// pages, raw, compressed and mapped-ram pages by content; an XBZRLE page by its previous content and delta).
/// Enough to tell which pages two streams have differently, without keeping the pages.
/// </summary>
public sealed class RamImage
{
    private readonly Dictionary<string, Dictionary<ulong, int>> _pages = [];

    /// <summary>Blocks in the MEM_SIZE list, with their lengths.</summary>
    public Dictionary<string, ulong> Blocks { get; } = [];

    /// <summary>Takes in the reader's current item when it is a RAM record (others are ignored).</summary>
    public void Add(VmStateReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Section?.Idstr != "ram") return;
        AddRam(r);
    }

    private void AddRam(VmStateReader r)
    {
        var item = r.Item;
        switch (item.Kind)
        {
            case IterativeItemKind.RamBlockEntry:
                Blocks[item.Block!.Name] = item.Block.UsedLength;
                break;
            case IterativeItemKind.RamZero:
                Set(item, Hash([item.FillByte], 1));
                break;
            case IterativeItemKind.RamPage:
                Set(item, Hash(r.ItemData, 0));
                break;
            case IterativeItemKind.RamCompressedPage:
                using (var z = new ZLibStream(new MemoryStream(r.ItemData.ToArray()), CompressionMode.Decompress))
                using (var page = new MemoryStream())
                {
                    z.CopyTo(page);
                    Set(item, Hash(page.ToArray(), 0));
                }
                break;
            case IterativeItemKind.RamXbzrle:
                int previous = PageOf(item.Block!.Name).TryGetValue(item.PageOffset, out int p) ? p : 0;
                Set(item, HashCode.Combine(previous, Hash(r.ItemData, 2)));
                break;
            case IterativeItemKind.RamMappedRegion:
                AddMapped(r, item);
                break;
        }
    }

    private void AddMapped(VmStateReader r, IterativeItem item)
    {
        var region = r.MappedRegion;
        var bitmap = r.ReadMappedBitmap();
        var page = new byte[region.PageSize];
        var map = PageOf(item.Block!.Name);
        foreach (var p in region.PresentPages(bitmap))
        {
            r.ReadRegion(p.At, page);
            map[p.BlockOffset] = Hash(page, 0);
        }
    }

    private Dictionary<ulong, int> PageOf(string block)
    {
        if (!_pages.TryGetValue(block, out var map)) _pages[block] = map = [];
        return map;
    }

    private void Set(in IterativeItem item, int hash) => PageOf(item.Block!.Name)[item.PageOffset] = hash;

    private static int Hash(ReadOnlySpan<byte> data, int kind)
    {
        // An all-zero raw page equals a zero page.
        if (kind == 0 && !data.ContainsAnyExcept((byte)0)) return Hash([0], 1);
        var h = new HashCode();
        h.Add(kind);
        h.AddBytes(data);
        return h.ToHashCode();
    }

    /// <summary>Per block, the number of pages whose content differs between two images (a page not sent counts as zero).</summary>
    public static List<(string Block, long Pages)> Compare(RamImage a, RamImage b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var result = new List<(string, long)>();
        var names = new List<string>(a.Blocks.Keys);
        foreach (var n in b.Blocks.Keys) if (!names.Contains(n)) names.Add(n);
        int zero = Hash([0], 1);
        foreach (var name in names)
        {
            var pa = a._pages.GetValueOrDefault(name) ?? [];
            var pb = b._pages.GetValueOrDefault(name) ?? [];
            long n = 0;
            foreach (var (addr, h) in pa)
                if ((pb.TryGetValue(addr, out int hb) ? hb : zero) != h) n++;
            foreach (var (addr, h) in pb)
                if (!pa.ContainsKey(addr) && h != zero) n++;
            if (n > 0 || a.Blocks.GetValueOrDefault(name) != b.Blocks.GetValueOrDefault(name)) result.Add((name, n));
        }
        return result;
    }
}
