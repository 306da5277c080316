namespace Qevm.Ram;

/// <summary>A RAM block as the <c>MEM_SIZE</c> block list gives it (§11.2).</summary>
public sealed record RamBlock
{
    /// <summary>Block idstr, e.g. <c>pc.ram</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Raw name bytes.</summary>
    public required byte[] NameBytes { get; init; }

    /// <summary><c>used_length</c> in bytes.</summary>
    public required ulong UsedLength { get; init; }

    /// <summary>The postcopy page-size word, when written (condition A).</summary>
    public ulong? PageSizeWord { get; init; }

    /// <summary>The x-ignore-shared address word, when written (condition B).</summary>
    public ulong? Address { get; init; }

    /// <summary>(10.0) the mapped-ram header, when the stream uses mapped-ram.</summary>
    public MappedRamHeader? MappedRam { get; init; }
}

/// <summary>(10.0) <c>MappedRamHeader</c>: 28 bytes after a block entry (§11.6).</summary>
public readonly record struct MappedRamHeader(uint Version, ulong PageSize, ulong BitmapOffset, ulong PagesOffset)
{
    /// <summary>Bytes of the bitmap for <paramref name="pages"/> pages: 64-bit host longs.</summary>
    public static int BitmapLength(long pages) => (int)((pages + 63) / 64 * 8);
}
