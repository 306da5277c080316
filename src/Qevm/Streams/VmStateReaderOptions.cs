namespace Qevm.Streams;

/// <summary>Settings of a <see cref="VmStateReader"/>.</summary>
public sealed record VmStateReaderOptions
{
    /// <summary>A description (JSON trailer) to delimit FULL sections with, e.g. from another stream of the same QEMU.</summary>
    public Trailer? Description { get; init; }

    /// <summary>
    /// Descriptions to delimit FULL sections with when <see cref="Description"/> and the stream's own trailer have none
    /// (the engine's loader: its devices' descriptions).
    /// </summary>
    internal ISchemaSource? Schema { get; init; }

    /// <summary>Target page size, when the caller knows it better than the stream.</summary>
    public int? PageSize { get; init; }

    /// <summary>
    /// On a seekable input, read the JSON trailer before the records (page size, description). Default true.
    /// </summary>
    public bool ReadTrailerFirst { get; init; } = true;

    /// <summary>Map a regular file into memory instead of reading it through a buffer. Default true.</summary>
    public bool MemoryMap { get; init; } = true;

    /// <summary>
    /// The file offset of the stream's first byte when mapped-ram offsets (absolute in the file QEMU wrote) count from
    /// an earlier start: QEMU wrote the stream at <c>file:PATH,offset=N</c> and the input begins at N. Null: 0, or what
    /// the input says (a libvirt sparse save image opened through <see cref="VmStateInput"/>).
    /// </summary>
    public long? MappedRamBase { get; init; }

    /// <summary>Largest record the reader holds in memory (FULL payload, lookahead, trailer). Default 256 MiB.</summary>
    public int MaxRecordLength { get; init; } = 256 << 20;

    /// <summary>Options whose description is the first trailer among <paramref name="schemas"/>; null when there is none.</summary>
    public static VmStateReaderOptions? FromSchemas(IEnumerable<ISchemaSource>? schemas)
    {
        if (schemas is null) return null;
        foreach (var s in schemas)
            if (s is Trailer t) return new VmStateReaderOptions { Description = t };
        return null;
    }
}
