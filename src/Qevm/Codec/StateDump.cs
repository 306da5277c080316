namespace Qevm.Codec;

/// <summary>
/// A stream read whole: its record table and every FULL section decoded with the first description that fits
/// (the stream's own trailer, then the given schema sources). RAM pages are not kept.
/// </summary>
public sealed class StateDump
{
    private StateDump(StreamInfo info, List<SectionState> sections)
    {
        Info = info;
        Sections = sections;
    }

    /// <summary>The record table.</summary>
    public StreamInfo Info { get; }

    /// <summary>The FULL sections in stream order.</summary>
    public IReadOnlyList<SectionState> Sections { get; }

    /// <summary>Reads and decodes a stream; <paramref name="schemas"/> are tried after the stream's own trailer.</summary>
    public static StateDump Read(System.IO.Stream input, IReadOnlyList<ISchemaSource>? schemas = null) => Read(input, schemas, null);

    /// <summary>As <see cref="Read(System.IO.Stream, IReadOnlyList{ISchemaSource}?)"/>, calling <paramref name="onItem"/> for every item of iterative sections.</summary>
    public static StateDump Read(System.IO.Stream input, IReadOnlyList<ISchemaSource>? schemas, Action<VmStateReader>? onItem)
    {
        var sections = new List<SectionState>();
        Trailer? own = null;
        var options = VmStateReaderOptions.FromSchemas(schemas);
        var info = StreamInfo.Read(input, options, r =>
        {
            if (r.RecordType == RecordType.SectionFull)
                sections.Add(new SectionState { Header = r.Section!, RecordOffset = r.RecordOffset, PayloadOffset = r.PayloadOffset, Payload = r.Payload.ToArray() });
            else if (r.RecordType == RecordType.VmDescription)
                own = r.OwnTrailer;
        }, onItem, out var ownFirst);
        own ??= ownFirst;
        var headers = sections.ConvertAll(s => s.Header);
        var sources = new List<ISchemaSource>();
        if (own is not null) sources.Add(own);
        if (schemas is not null)
            foreach (var s in schemas) sources.Add(s.ForStream(headers));
        foreach (var s in sections) s.Decode(sources);
        return new StateDump(info, sections);
    }
}
