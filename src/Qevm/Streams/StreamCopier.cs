namespace Qevm.Streams;

/// <summary>
/// Re-encodes a stream through <see cref="VmStateReader"/> and <see cref="VmStateWriter"/>: every record is
/// parsed and written again from its parts, so the output equals the input exactly when both are right.
/// </summary>
public static class StreamCopier
{
    /// <summary>
    /// Copies <paramref name="input"/> to <paramref name="output"/> record by record; FULL sections whose record
    /// offset is in <paramref name="replacements"/> get that data instead of theirs.
    /// </summary>
    public static void Copy(System.IO.Stream input, System.IO.Stream output, VmStateReaderOptions? options = null,
        IReadOnlyDictionary<long, byte[]>? replacements = null)
    {
        using var r = new VmStateReader(input, options, leaveOpen: true);
        using var w = new VmStateWriter(output, leaveOpen: true);
        while (r.Read())
        {
            switch (r.RecordType)
            {
                case RecordType.FileHeader:
                    w.WriteHeader(r.Version);
                    break;
                case RecordType.Configuration:
                    w.WriteConfiguration(r.Configuration!);
                    break;
                case RecordType.Command:
                    w.WriteCommand(r.Command, r.Payload);
                    break;
                case RecordType.SectionFull:
                    w.WriteSectionHeader(r.RecordType, r.Section!);
                    if (replacements is not null && replacements.TryGetValue(r.RecordOffset, out var data)) w.WriteSectionData(data);
                    else w.WriteSectionData(r.Payload);
                    break;
                case RecordType.SectionStart or RecordType.SectionPart or RecordType.SectionEnd:
                    w.WriteSectionHeader(r.RecordType, r.Section!);
                    CopyItems(r, w);
                    break;
                case RecordType.SectionFooter:
                    w.WriteFooter(r.Section!.SectionId);
                    break;
                case RecordType.Eof:
                    w.WriteEof();
                    break;
                case RecordType.VmDescription:
                    w.WriteTrailer(r.Payload);
                    break;
            }
        }
        // Bytes QEMU ignores after EOF or after the trailer would be lost: refuse rather than copy less than the input.
        if (r.IgnoredDataOffset is { } ignored)
            throw new VmStateFormatException(VmStateError.BadTrailer, ignored, "the end of the stream after EOF and the trailer",
                "other bytes, which a copy would drop");
    }

    private static void CopyItems(VmStateReader r, VmStateWriter w)
    {
        while (r.ReadItem())
        {
            var item = r.Item;
            switch (item.Kind)
            {
                case IterativeItemKind.RamMemSize or IterativeItemKind.RamZero or IterativeItemKind.RamPage or IterativeItemKind.RamXbzrle
                    or IterativeItemKind.RamCompressedPage or IterativeItemKind.RamMultifdFlush or IterativeItemKind.RamHook or IterativeItemKind.RamEos:
                    w.WriteRamRecord(item, item.DataLength > 0 && item.Kind != IterativeItemKind.RamZero ? r.ItemData : default);
                    break;
                case IterativeItemKind.RamBlockEntry:
                    w.WriteRamRecord(item, default);
                    break;
                case IterativeItemKind.RamMappedRegion:
                    CopyMappedRegion(r, w);
                    break;
                default:
                    w.WriteSectionData(r.ItemBytes);
                    break;
            }
        }
    }

    // mapped-ram (§11.6): bitmap and the present pages are data, everything else stays a hole.
    private static void CopyMappedRegion(VmStateReader r, VmStateWriter w)
    {
        var region = r.MappedRegion;
        var bitmap = r.ReadMappedBitmap();
        var output = new MappedRamRegionWriter(w, region.Length);
        output.Write(region.BitmapAt, bitmap);
        var page = new byte[region.PageSize];
        foreach (var p in region.PresentPages(bitmap))
        {
            r.ReadRegion(p.At, page);
            output.Write(p.At, page);
        }
        output.End();
    }
}
