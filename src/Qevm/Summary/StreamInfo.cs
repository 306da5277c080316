using System.Text.Json;

namespace Qevm.Summary;

/// <summary>
/// The record table of a stream, as <c>qevm info</c> reports it: one entry per section record, commands,
/// configuration, EOF, trailer, RAM totals. Built in one forward pass; page data is skipped.
/// </summary>
public sealed class StreamInfo
{
    /// <summary>Header version.</summary>
    public uint Version { get; private set; }

    /// <summary><c>migration</c> when the stream has a configuration section, a START section or a trailer; else <c>device-state</c>.</summary>
    public StreamKind Kind => Configuration is not null || Trailer is not null || _sections.Exists(s => s.Type == RecordType.SectionStart) ? StreamKind.Migration : StreamKind.DeviceState;

    /// <summary>Whether sections are closed by footers.</summary>
    public bool Footers { get; private set; }

    /// <summary>The configuration section, if any.</summary>
    public ConfigurationSection? Configuration { get; private set; }

    /// <summary>Offset of the configuration record.</summary>
    public long ConfigurationOffset { get; private set; }

    /// <summary>Length of the configuration data (after the 0x07 byte).</summary>
    public long ConfigurationLength { get; private set; }

    /// <summary>Commands in stream order.</summary>
    public IReadOnlyList<CommandInfo> Commands => _commands;

    private readonly List<CommandInfo> _commands = [];

    /// <summary>Section records in stream order.</summary>
    public IReadOnlyList<SectionInfo> Sections => _sections;

    private readonly List<SectionInfo> _sections = [];

    /// <summary>Offset of the EOF byte.</summary>
    public long EofOffset { get; private set; } = -1;

    /// <summary>Offset and JSON length of the trailer, if any.</summary>
    public (long Offset, long Length)? Trailer { get; private set; }

    /// <summary>RAM totals, when the stream has a <c>ram</c> section.</summary>
    public RamInfo? Ram { get; private set; }

    /// <summary>Description/footer disagreements.</summary>
    public IReadOnlyList<DescriptionMismatch> DescriptionMismatches { get; private set; } = [];

    /// <summary>What held the stream (libvirt image, qcow2 snapshot, compression), or null for a bare stream.</summary>
    public VmStateContainer? Container { get; set; }

    /// <summary>Warnings (QEMU accepts the stream anyway).</summary>
    public IReadOnlyList<Diagnostic> Warnings { get; private set; } = [];

    /// <summary>Reads a whole stream and returns its table. Throws <see cref="VmStateFormatException"/> on invalid input.</summary>
    public static StreamInfo Read(System.IO.Stream input, VmStateReaderOptions? options = null) => Read(input, options, null, null, out _);

    /// <summary>Reads the stream inside a container (<see cref="VmStateInput"/>); <see cref="Container"/> says which.</summary>
    public static StreamInfo Read(VmStateInput input, VmStateReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var info = Read(input.Stream, options, null, null, out _);
        info.Container = input.Container;
        return info;
    }

    /// <summary>
    /// Reads a whole stream, calling <paramref name="onRecord"/> for every record (before its items are read) and
    /// <paramref name="onItem"/> for every item of iterative sections;
    /// <paramref name="ownTrailer"/> is the stream's trailer, when it has one.
    /// </summary>
    public static StreamInfo Read(System.IO.Stream input, VmStateReaderOptions? options, Action<VmStateReader>? onRecord,
        Action<VmStateReader>? onItem, out Trailer? ownTrailer)
    {
        var info = new StreamInfo();
        using var r = new VmStateReader(input, options, leaveOpen: true);
        SectionInfo? open = null;
        RamInfo? ram = null;
        while (r.Read())
        {
            if (open is not null && open.PayloadLength < 0) open.PayloadLength = r.RecordOffset - open.PayloadOffset;
            onRecord?.Invoke(r);
            switch (r.RecordType)
            {
                case RecordType.FileHeader:
                    info.Version = r.Version;
                    break;
                case RecordType.Configuration:
                    info.Configuration = r.Configuration;
                    info.ConfigurationOffset = r.RecordOffset;
                    info.ConfigurationLength = r.PayloadLength;
                    break;
                case RecordType.Command:
                    info._commands.Add(new CommandInfo(r.RecordOffset, r.Command, MigCommands.Name(r.Command), (int)r.PayloadLength,
                        Convert.ToHexStringLower(r.Payload)));
                    break;
                case RecordType.SectionFooter:
                    if (open is not null) open.FooterOffset = r.RecordOffset;
                    open = null;
                    break;
                case RecordType.SectionStart or RecordType.SectionPart or RecordType.SectionEnd or RecordType.SectionFull:
                    var h = r.Section!;
                    open = new SectionInfo(r.RecordType, h, r.RecordOffset, r.PayloadOffset) { PayloadLength = r.PayloadLength };
                    info._sections.Add(open);
                    if (r.RecordType != RecordType.SectionFull)
                    {
                        bool isRam = h.Idstr == "ram";
                        if (isRam) ram ??= new RamInfo();
                        while (r.ReadItem())
                        {
                            if (isRam) ram!.Count(in r.Item);
                            onItem?.Invoke(r);
                        }
                        if (isRam) ram!.Blocks = [.. r.RamBlocks];
                        open.PayloadLength = r.Position - open.PayloadOffset;
                    }
                    break;
                case RecordType.Eof:
                    open = null;
                    info.EofOffset = r.RecordOffset;
                    break;
                case RecordType.VmDescription:
                    info.Trailer = (r.RecordOffset, r.PayloadLength);
                    break;
            }
        }
        info.Footers = r.HasFooters == true;
        info.DescriptionMismatches = r.DescriptionMismatches;
        var warnings = new List<Diagnostic>(r.Diagnostics);
        if (ram is not null)
        {
            if (r.PageSizeSource is PageSizeSource.Configuration or PageSizeSource.Trailer or PageSizeSource.Option or PageSizeSource.PostcopyAdvise) ram.PageSize = r.PageSize;
            else if (r.OwnTrailer?.PageSize is { } tps && tps is >= 256 and <= 1 << 24 && int.IsPow2(tps)) ram.PageSize = tps;
            else if (r.PageSize != 0) ram.PageSize = r.PageSize;
            else
            {
                ram.PageSize = 4096;
                warnings.Add(new Diagnostic(0, "RAM page size unknown (no target-page-bits subsection, no trailer): assuming 4096") { Kind = DiagnosticKind.PageSizeGuessed });
            }
            ram.MappedRam = ram.Blocks.Any(b => b.MappedRam is not null);
        }
        info.Ram = ram;
        info.Warnings = warnings;
        ownTrailer = r.OwnTrailer;
        return info;
    }

    /// <summary>Writes the table as JSON (the shape of the corpus oracles).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (Container is { } container)
        {
            w.WritePropertyName("container");
            container.WriteJson(w);
        }
        else w.WriteNull("container");
        w.WriteNumber("version", Version);
        w.WriteString("kind", StreamKinds.Name(Kind));
        w.WriteBoolean("footers", Footers);
        if (Configuration is { } c)
        {
            w.WriteStartObject("configuration");
            w.WriteString("machine", c.Machine);
            w.WriteNumber("record_offset", ConfigurationOffset);
            w.WriteNumber("payload_offset", ConfigurationOffset + 1);
            w.WriteNumber("payload_length", ConfigurationLength);
            if (c.TargetPageBits is { } bits) w.WriteNumber("target_page_bits", bits); else w.WriteNull("target_page_bits");
            if (c.Capabilities is { } caps)
            {
                w.WriteStartArray("capabilities");
                foreach (var cap in caps) w.WriteStringValue(cap);
                w.WriteEndArray();
            }
            else w.WriteNull("capabilities");
            if (c.UuidText is { } u) w.WriteString("uuid", u); else w.WriteNull("uuid");
            w.WriteEndObject();
        }
        else w.WriteNull("configuration");
        w.WriteStartArray("commands");
        foreach (var cmd in Commands)
        {
            w.WriteStartObject();
            w.WriteNumber("offset", cmd.Offset);
            w.WriteNumber("cmd", cmd.Command);
            w.WriteString("name", cmd.Name);
            w.WriteNumber("length", cmd.Length);
            w.WriteString("payload_hex", cmd.PayloadHex);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("sections");
        foreach (var s in Sections)
        {
            w.WriteStartObject();
            w.WriteString("type", s.TypeName);
            w.WriteNumber("section_id", s.Header.SectionId);
            w.WriteString("idstr", s.Header.Idstr);
            w.WriteNumber("instance_id", s.Header.InstanceId);
            w.WriteNumber("version_id", s.Header.VersionId);
            w.WriteNumber("record_offset", s.RecordOffset);
            w.WriteNumber("payload_offset", s.PayloadOffset);
            w.WriteNumber("payload_length", s.PayloadLength);
            if (s.FooterOffset is { } f) w.WriteNumber("footer_offset", f); else w.WriteNull("footer_offset");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("eof_offset", EofOffset);
        if (Trailer is { } t)
        {
            w.WriteStartObject("trailer");
            w.WriteNumber("offset", t.Offset);
            w.WriteNumber("length", t.Length);
            w.WriteEndObject();
        }
        else w.WriteNull("trailer");
        if (Ram is { } ram)
        {
            w.WriteStartObject("ram");
            w.WriteNumber("page_size", ram.PageSize);
            w.WriteStartArray("blocks");
            foreach (var b in ram.Blocks)
            {
                w.WriteStartObject();
                w.WriteString("name", b.Name);
                w.WriteNumber("length", b.UsedLength);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("zero_pages", ram.ZeroPages);
            w.WriteNumber("pages", ram.Pages);
            w.WriteNumber("xbzrle_pages", ram.XbzrlePages);
            w.WriteNumber("compressed_pages", ram.CompressedPages);
            w.WriteBoolean("mapped_ram", ram.MappedRam);
            w.WriteEndObject();
        }
        else w.WriteNull("ram");
        w.WriteStartArray("description_mismatch");
        foreach (var m in DescriptionMismatches)
        {
            w.WriteStartObject();
            w.WriteString("idstr", m.Idstr);
            w.WriteNumber("instance_id", m.InstanceId);
            w.WriteNumber("section_id", m.SectionId);
            if (m.DescribedLength is { } dl) w.WriteNumber("described_length", dl); else w.WriteNull("described_length");
            w.WriteNumber("footer_length", m.FooterLength);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("warnings");
        foreach (var d in Warnings) w.WriteStringValue(d.Message);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>A command record.</summary>
public sealed record CommandInfo(long Offset, ushort Command, string Name, int Length, string PayloadHex);

/// <summary>A section record (FULL, START, PART or END).</summary>
public sealed class SectionInfo(RecordType type, SectionHeader header, long recordOffset, long payloadOffset)
{
    /// <summary>Record type.</summary>
    public RecordType Type { get; } = type;

    /// <summary><c>full</c>, <c>start</c>, <c>part</c> or <c>end</c>.</summary>
    public string TypeName => Type switch
    {
        RecordType.SectionStart => "start",
        RecordType.SectionPart => "part",
        RecordType.SectionEnd => "end",
        _ => "full",
    };

    /// <summary>Section identity (PART/END: that of their START).</summary>
    public SectionHeader Header { get; } = header;

    /// <summary>Offset of the type byte.</summary>
    public long RecordOffset { get; } = recordOffset;

    /// <summary>Offset of the first data byte.</summary>
    public long PayloadOffset { get; } = payloadOffset;

    /// <summary>Bytes of section data, footer excluded.</summary>
    public long PayloadLength { get; set; } = -1;

    /// <summary>Offset of the footer's 0x7E, or null.</summary>
    public long? FooterOffset { get; set; }
}

/// <summary>RAM totals: records counted, a page sent twice counts twice.</summary>
public sealed class RamInfo
{
    /// <summary>Target page size.</summary>
    public int PageSize { get; set; }

    /// <summary>The blocks of the MEM_SIZE list.</summary>
    public IReadOnlyList<RamBlock> Blocks { get; internal set; } = [];

    /// <summary>ZERO records.</summary>
    public long ZeroPages { get; private set; }

    /// <summary>PAGE records (mapped-ram: pages the bitmaps mark present).</summary>
    public long Pages { get; private set; }

    /// <summary>XBZRLE records.</summary>
    public long XbzrlePages { get; private set; }

    /// <summary>COMPRESS_PAGE records.</summary>
    public long CompressedPages { get; private set; }

    /// <summary>Whether the blocks use mapped-ram.</summary>
    public bool MappedRam { get; set; }

    internal void Count(in IterativeItem item)
    {
        switch (item.Kind)
        {
            case IterativeItemKind.RamZero: ZeroPages++; break;
            case IterativeItemKind.RamPage: Pages++; break;
            case IterativeItemKind.RamXbzrle: XbzrlePages++; break;
            case IterativeItemKind.RamCompressedPage: CompressedPages++; break;
            case IterativeItemKind.RamMappedRegion: Pages += item.PresentPages; break;
        }
    }
}
