namespace Qevm;

/// <summary>
/// A stream read whole: its record table and every FULL section decoded with the first description that fits
/// (the stream's own trailer, then the given schema sources). RAM pages are not kept.
/// </summary>
public sealed class StateDump
{
    private StateDump(StreamInfo info, List<SectionState> sections, List<StreamRecord>? records)
    {
        Info = info;
        Sections = sections;
        Records = records;
    }

    /// <summary>Every record in stream order, when read with <c>keepRecords</c> (RAM pages included).</summary>
    public IReadOnlyList<StreamRecord>? Records { get; }

    /// <summary>The record table.</summary>
    public StreamInfo Info { get; }

    /// <summary>The FULL sections in stream order.</summary>
    public IReadOnlyList<SectionState> Sections { get; }

    /// <summary>Reads and decodes a stream; <paramref name="schemas"/> are tried after the stream's own trailer.</summary>
    public static StateDump Read(System.IO.Stream input, IReadOnlyList<ISchemaSource>? schemas = null, bool keepRecords = false) =>
        Read(input, schemas, keepRecords, null);

    /// <summary>As <see cref="Read(System.IO.Stream, IReadOnlyList{ISchemaSource}?, bool)"/>, calling <paramref name="onItem"/> for every item of iterative sections.</summary>
    public static StateDump Read(System.IO.Stream input, IReadOnlyList<ISchemaSource>? schemas, bool keepRecords, Action<VmStateReader>? onItem)
    {
        var sections = new List<SectionState>();
        var records = keepRecords ? new List<StreamRecord>() : null;
        Trailer? own = null;
        var options = new VmStateReaderOptions { Description = FirstTrailer(schemas) };
        var info = StreamInfo.Read(input, options, r =>
        {
            if (r.RecordType == RecordType.SectionFull)
                sections.Add(new SectionState { Header = r.Section!, RecordOffset = r.RecordOffset, PayloadOffset = r.PayloadOffset, Payload = r.Payload.ToArray() });
            else if (r.RecordType == RecordType.VmDescription)
                own = r.OwnTrailer;
            records?.Add(new StreamRecord
            {
                Type = r.RecordType,
                Offset = r.RecordOffset,
                Section = r.Section,
                Command = r.Command,
                Data = r.RecordType is RecordType.FileHeader or RecordType.Configuration or RecordType.Command or RecordType.VmDescription ? r.Payload.ToArray() : [],
                SectionIndex = r.RecordType == RecordType.SectionFull ? sections.Count - 1 : -1,
            });
        }, records is null && onItem is null ? null : r =>
        {
            records?[^1].Items.Add(KeepItem(r));
            onItem?.Invoke(r);
        }, out var ownFirst);
        own ??= ownFirst;
        var headers = sections.ConvertAll(s => s.Header);
        var sources = new List<ISchemaSource>();
        if (own is not null) sources.Add(own);
        if (schemas is not null)
            foreach (var s in schemas) sources.Add(s.ForStream(headers));
        foreach (var s in sections) s.Decode(sources);
        return new StateDump(info, sections, records);
    }

    private static StreamItem KeepItem(VmStateReader r)
    {
        var item = r.Item;
        if (item.Kind != IterativeItemKind.RamMappedRegion) return new StreamItem { Bytes = r.ItemBytes.ToArray() };
        var m = item.Block!.MappedRam!.Value;
        long pages = (long)(item.Block.UsedLength / m.PageSize);
        long bitmapAt = (long)m.BitmapOffset - item.Offset, pagesAt = (long)m.PagesOffset - item.Offset;
        var bitmap = r.ReadRegion(bitmapAt, (int)((pages + 63) / 64 * 8));
        var present = new List<(long, byte[])>();
        for (long i = 0; i < pages; i++)
            if ((bitmap[(int)(i >> 3)] & (1 << (int)(i & 7))) != 0) present.Add((i, r.ReadRegion(pagesAt + i * (long)m.PageSize, (int)m.PageSize)));
        return new StreamItem { Region = new MappedRegion(item.Length, bitmapAt, bitmap, pagesAt, (int)m.PageSize, present) };
    }

    private static Trailer? FirstTrailer(IReadOnlyList<ISchemaSource>? schemas)
    {
        if (schemas is null) return null;
        foreach (var s in schemas)
            if (s is Trailer t) return t;
        return null;
    }
}
