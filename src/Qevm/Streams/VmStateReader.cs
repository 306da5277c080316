using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Qevm.IO;

namespace Qevm.Streams;

/// <summary>
/// Forward-only reader of a QEMU VM-state stream (device-state file, migration stream, savevm state): one
/// <see cref="Read"/> per record, with the record's properties on the reader (as <c>Utf8JsonReader</c>).
/// Iterative section data is read record by record with <see cref="ReadItem"/>, or skipped by the next
/// <see cref="Read"/>. Works on pipes; on a seekable input it reads the JSON trailer first.
/// </summary>
/// <remarks>Invalid input throws <see cref="VmStateFormatException"/>; findings QEMU accepts go to <see cref="Diagnostics"/>.</remarks>
public sealed partial class VmStateReader : IDisposable
{
    private const uint Magic = 0x5145564D;

    private readonly System.IO.Stream _stream;
    private readonly bool _leaveOpen;
    private readonly InputCursor _in;
    private readonly VmStateReaderOptions _options;
    private readonly Dictionary<uint, SectionHeader> _sections = [];
    private readonly List<Diagnostic> _diagnostics = [];
    private readonly List<DescriptionMismatch> _mismatches = [];
    private readonly Stack<long> _packageEnds = new();
    private Phase _phase;
    private long _pending; // bytes of the current record still in the buffer, consumed by the next call
    private bool _awaitFooter;
    private bool _firstRecord = true;
    private bool _returnPathOpen;
    private int _fullIndex;

    private enum Phase { Header, Records, AfterEof, AfterTrailer, Done }

    /// <summary>Opens a reader over <paramref name="input"/>, starting at its current position.</summary>
    public VmStateReader(System.IO.Stream input, VmStateReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        _stream = input;
        _leaveOpen = leaveOpen;
        _options = options ?? new VmStateReaderOptions();
        if (_options.PageSize is { } ps) SetPageSize(ps, PageSizeSource.Option);
        if (input.CanSeek && _options.ReadTrailerFirst)
        {
            long origin = input.Position;
            OwnTrailer = TrailerLocator.TryLocate(input, origin, input.Length - origin, _options.MaxRecordLength);
            input.Position = origin;
            // A page size that cannot be one (a damaged trailer) is not used.
            if (OwnTrailer?.PageSize is { } tps && PageSize == 0 && IsPageSize(tps)) SetPageSize(tps, PageSizeSource.Trailer);
        }
        _description = OwnTrailer ?? (ISchemaSource?)_options.Description ?? _options.Schema;
        _in = InputCursor.Open(input, _options.MaxRecordLength, _options.MemoryMap);
        _mapped = _in as MappedCursor;
        _mappedRamBase = _options.MappedRamBase ?? (input as WindowStream)?.MappedRamBase ?? 0;
    }

    private readonly ISchemaSource? _description;

    // The same cursor as _in when the input is mapped: calls through the sealed type are direct (and inlined)
    // in the per-record hot path, where a virtual call per RAM record shows.
    private readonly MappedCursor? _mapped;
    private readonly long _mappedRamBase;

    /// <summary>The stream's own trailer: found ahead on a seekable input, else once <see cref="RecordType.VmDescription"/> is read.</summary>
    public Trailer? OwnTrailer { get; private set; }

    /// <summary>The current record.</summary>
    public RecordType RecordType { get; private set; }

    /// <summary>Offset of the current record's type byte (0 for the file header).</summary>
    public long RecordOffset { get; private set; }

    /// <summary>Offset of the current record's data: section data, command payload, configuration data, trailer JSON.</summary>
    public long PayloadOffset { get; private set; }

    /// <summary>Length of the current record's data, when known when the record is read (not for START/PART/END).</summary>
    public long PayloadLength { get; private set; }

    /// <summary>The data of a FULL section, command, configuration or trailer; valid until the next call.</summary>
    public ReadOnlySpan<byte> Payload => _in.Peek((int)_pending);

    /// <summary>Header version (3).</summary>
    public uint Version { get; private set; }

    /// <summary>Whether sections carry footers; null until the reader could tell.</summary>
    public bool? HasFooters { get; private set; }

    /// <summary>The configuration section, once read.</summary>
    public ConfigurationSection? Configuration { get; private set; }

    /// <summary>The section of the current START/PART/END/FULL record or footer.</summary>
    public SectionHeader? Section { get; private set; }

    /// <summary>The command number of the current command record.</summary>
    public ushort Command { get; private set; }

    /// <summary>Nesting depth: 1 inside a <c>PACKAGED</c> command's blob.</summary>
    public int Depth => _packageEnds.Count;

    /// <summary>Target page size (0 while unknown).</summary>
    public int PageSize { get; private set; }

    /// <summary>Where <see cref="PageSize"/> came from.</summary>
    public PageSizeSource PageSizeSource { get; private set; }

    /// <summary>The RAM blocks of the last <c>MEM_SIZE</c> list.</summary>
    public IReadOnlyList<RamBlock> RamBlocks => _ram is { } ram ? ram.Blocks : [];

    /// <summary>Findings that QEMU accepts (warnings).</summary>
    public IReadOnlyList<Diagnostic> Diagnostics => _diagnostics;

    /// <summary>FULL sections whose description gives another length than the footer (the footer wins).</summary>
    public IReadOnlyList<DescriptionMismatch> DescriptionMismatches => _mismatches;

    /// <summary>
    /// Where data that QEMU ignores begins, once reading has passed it: bytes after EOF that are not a trailer,
    /// or bytes after the trailer. Null when there are none.
    /// </summary>
    public long? IgnoredDataOffset { get; private set; }

    /// <summary>Offset of the next unread byte.</summary>
    public long Position => _in.Position + _pending;

    /// <summary>Advances to the next record; false after the last one.</summary>
    public bool Read()
    {
        try
        {
            return ReadCore();
        }
        catch (VmStateFormatException e) when (e.Record is null && _phase == Phase.Records)
        {
            throw e.WithRecord(Describe());
        }
    }

    private bool ReadCore()
    {
        ConsumePending();
        if (_itemsActive)
        {
            while (ReadItem()) { }
        }
        if (_awaitFooter)
        {
            _awaitFooter = false;
            if (TryReadFooter()) return true;
        }
        switch (_phase)
        {
            case Phase.Header:
                ReadHeader();
                return true;
            case Phase.Records:
                return ReadRecord();
            case Phase.AfterEof:
                return ReadAfterEof();
            case Phase.AfterTrailer:
                if (!_in.AtEnd)
                {
                    IgnoredDataOffset = _in.Position;
                    _diagnostics.Add(new Diagnostic(_in.Position, "bytes after the JSON trailer (ignored by QEMU)") { Kind = DiagnosticKind.AfterTrailer });
                }
                _phase = Phase.Done;
                return false;
            default:
                return false;
        }
    }

    private void ConsumePending()
    {
        if (_pending > 0)
        {
            if (_mapped is { } m) m.Skip(_pending);
            else if (_pending <= _in.Available) _in.Advance((int)_pending);
            else _in.Skip(_pending);
            _pending = 0;
        }
    }

    private void ReadHeader()
    {
        RecordOffset = 0;
        RecordType = RecordType.FileHeader;
        if (!_in.Ensure(8)) ThrowShortHeader();
        var h = _in.Peek(8);
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(h);
        if (magic != Magic)
            throw new VmStateFormatException(VmStateError.BadMagic, 0, "magic 0x5145564D (QEVM)", Hex32(magic), "Not a migration stream");
        Version = BinaryPrimitives.ReadUInt32BigEndian(h[4..]);
        if (Version == 2)
            throw new VmStateFormatException(VmStateError.UnsupportedVersion, 4, "version 3", "2", "SaveVM v2 format is obsolete and don't work anymore");
        if (Version != 3)
            throw new VmStateFormatException(VmStateError.UnsupportedVersion, 4, "version 3", Version.ToString(CultureInfo.InvariantCulture), "Unsupported migration stream version");
        PayloadOffset = 0;
        PayloadLength = 8;
        _pending = 8;
        _phase = Phase.Records;
    }

    // qemu_loadvm_state_header on a cut header: the missing bytes read as zeros, then the same checks.
    private void ThrowShortHeader()
    {
        Span<byte> h = stackalloc byte[8];
        _in.Buffered[..Math.Min(_in.Available, 8)].CopyTo(h);
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(h);
        uint version = BinaryPrimitives.ReadUInt32BigEndian(h[4..]);
        string qemu = magic != Magic ? "Not a migration stream"
            : version == 2 ? "SaveVM v2 format is obsolete and don't work anymore" : "Unsupported migration stream version";
        throw new VmStateFormatException(VmStateError.Truncated, _in.Position + _in.Available,
            string.Create(CultureInfo.InvariantCulture, $"{8 - _in.Available} more byte(s) of the file header"), "end of data", qemu);
    }

    private bool ReadRecord()
    {
        if (_packageEnds.TryPeek(out long end))
        {
            if (_in.Position == end)
            {
                _packageEnds.Pop();
            }
            else if (_in.Position > end)
            {
                throw new VmStateFormatException(VmStateError.BadCommand, end, "the PACKAGED blob to end at a record boundary",
                    "a record crossing its end");
            }
        }
        long offset = _in.Position;
        RecordOffset = offset;
        Section = null;
        if (!_in.Ensure(1))
            throw new VmStateFormatException(VmStateError.Truncated, offset, "a record type byte (or EOF 0x00)", "end of data",
                "load of migration failed: Input/output error");
        byte type = _in.Peek(1)[0];
        bool first = _firstRecord;
        _firstRecord = false;
        switch (type)
        {
            case 0x07 when first && Depth == 0:
                ReadConfiguration();
                return true;
            case 0x00:
                if (Depth > 0)
                    throw new VmStateFormatException(VmStateError.BadCommand, offset, "the rest of the PACKAGED blob", "EOF 0x00 inside it");
                _in.Advance(1);
                RecordType = RecordType.Eof;
                PayloadOffset = offset + 1;
                PayloadLength = 0;
                _phase = Phase.AfterEof;
                return true;
            case 0x01:
            case 0x04:
                ReadStartOrFull(type);
                return true;
            case 0x02:
            case 0x03:
                ReadPartOrEnd(type);
                return true;
            case 0x08:
                ReadCommand();
                return true;
            default:
                throw new VmStateFormatException(VmStateError.UnknownRecordType, offset,
                    "a record type (00 EOF, 01 START, 02 PART, 03 END, 04 FULL, 08 COMMAND)", "0x" + type.ToString("x2", CultureInfo.InvariantCulture),
                    string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section type {type}"));
        }
    }

    private void ReadConfiguration()
    {
        // §14: 07, be32 len, name, subsections; no footer.
        long offset = _in.Position;
        int pos = 1;
        uint len = BinaryPrimitives.ReadUInt32BigEndian(_in.Peek(pos + 4)[pos..]);
        pos += 4;
        if (len > 4096)
            throw new VmStateFormatException(VmStateError.BadConfiguration, offset + 1, "a machine name length ≤ 4096", len.ToString(CultureInfo.InvariantCulture));
        var nameBytes = _in.Peek(pos + (int)len).Slice(pos, (int)len).ToArray();
        pos += (int)len;
        uint? pageBits = null;
        List<string>? caps = null;
        byte[]? uuid = null;
        var order = new List<(string, uint)>();
        while (_in.Ensure(pos + 1) && _in.Peek(pos + 1)[pos] == 0x05)
        {
            long subOffset = offset + pos;
            int nlen = _in.Peek(pos + 2)[pos + 1];
            SubsectionHeader.TryRead(_in.Peek(pos + 6 + nlen)[pos..], out var nameBytes8, out uint version, out int headerLength);
            var name = Encoding.Latin1.GetString(nameBytes8);
            pos += headerLength;
            order.Add((name, version));
            switch (name)
            {
                case "configuration/target-page-bits":
                    pageBits = BinaryPrimitives.ReadUInt32BigEndian(_in.Peek(pos + 4)[pos..]);
                    pos += 4;
                    break;
                case "configuration/capabilities":
                    uint count = BinaryPrimitives.ReadUInt32BigEndian(_in.Peek(pos + 4)[pos..]);
                    pos += 4;
                    if (count > 64)
                        throw new VmStateFormatException(VmStateError.BadConfiguration, offset + pos - 4, "at most 64 capabilities", count.ToString(CultureInfo.InvariantCulture));
                    caps = [];
                    for (uint i = 0; i < count; i++)
                    {
                        int clen = _in.Peek(pos + 1)[pos];
                        caps.Add(Encoding.Latin1.GetString(_in.Peek(pos + 1 + clen).Slice(pos + 1, clen)));
                        pos += 1 + clen;
                    }
                    break;
                case "configuration/uuid":
                    uuid = _in.Peek(pos + 16).Slice(pos, 16).ToArray();
                    pos += 16;
                    break;
                default:
                    throw new VmStateFormatException(VmStateError.BadConfiguration, subOffset,
                        "a configuration subsection (target-page-bits, capabilities, uuid)", "'" + name + "'",
                        name.StartsWith("configuration/", StringComparison.Ordinal)
                            ? "load of migration failed: No such file or directory" // §8.2: -ENOENT, no message of its own
                            : "Unknown savevm section type 5");
            }
        }
        Configuration = new ConfigurationSection
        {
            Machine = Encoding.Latin1.GetString(nameBytes),
            MachineBytes = nameBytes,
            TargetPageBits = pageBits,
            Capabilities = caps,
            Uuid = uuid,
            SubsectionOrder = order,
        };
        if (pageBits is { } bits && _options.PageSize is null)
        {
            if (bits is < 8 or > 24)
                throw new VmStateFormatException(VmStateError.BadConfiguration, offset, "target-page-bits between 8 and 24", bits.ToString(CultureInfo.InvariantCulture));
            SetPageSize(1 << (int)bits, PageSizeSource.Configuration);
        }
        RecordType = RecordType.Configuration;
        PayloadOffset = offset + 1;
        PayloadLength = pos - 1;
        _in.Advance(1);
        _pending = pos - 1;
    }

    private void ReadCommand()
    {
        long offset = _in.Position;
        var h = _in.Peek(5);
        ushort cmd = BinaryPrimitives.ReadUInt16BigEndian(h[1..]);
        ushort len = BinaryPrimitives.ReadUInt16BigEndian(h[3..]);
        if (!MigCommands.IsKnown(cmd))
            throw new VmStateFormatException(VmStateError.BadCommand, offset + 1, "a command number 1..11", Hex(cmd),
                string.Create(CultureInfo.InvariantCulture, $"MIG_CMD 0x{cmd:x} unknown (len 0x{len:x})"));
        int fixedLen = MigCommands.FixedLength(cmd);
        if (fixedLen >= 0 && len != fixedLen)
            throw new VmStateFormatException(VmStateError.BadCommand, offset + 3,
                string.Create(CultureInfo.InvariantCulture, $"length {fixedLen} for {MigCommands.Name(cmd)}"), len.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{(cmd == (ushort)MigCommand.EnableColo ? "(null)" : MigCommands.Name(cmd))} received with bad length - expecting {fixedLen}, got {len}"));
        var payload = _in.Peek(5 + len)[5..];
        switch ((MigCommand)cmd)
        {
            case MigCommand.OpenReturnPath:
                _returnPathOpen = true;
                break;
            case MigCommand.Ping when !_returnPathOpen:
                throw new VmStateFormatException(VmStateError.BadCommand, offset, "OPEN_RETURN_PATH before PING", "PING",
                    string.Create(CultureInfo.InvariantCulture, $"CMD_PING (0x{BinaryPrimitives.ReadUInt32BigEndian(payload):x}) received with no return path"));
            case MigCommand.PostcopyAdvise:
                if (len is not (0 or 16))
                    throw new VmStateFormatException(VmStateError.BadCommand, offset + 3, "length 0 or 16", len.ToString(CultureInfo.InvariantCulture),
                        string.Create(CultureInfo.InvariantCulture, $"CMD_POSTCOPY_ADVISE invalid length ({len})"));
                if (len == 16)
                {
                    _postcopySummary = BinaryPrimitives.ReadUInt64BigEndian(payload);
                    ulong tps = BinaryPrimitives.ReadUInt64BigEndian(payload[8..]);
                    if (PageSize == 0 && tps is >= 256 and <= 1 << 24 && ulong.IsPow2(tps)) SetPageSize((int)tps, PageSizeSource.PostcopyAdvise);
                }
                break;
            case MigCommand.RecvBitmap:
                if (len == 0 || payload[0] + 1 != len)
                    throw new VmStateFormatException(VmStateError.BadCommand, offset + 3,
                        "a length of the block name's length + 1", len.ToString(CultureInfo.InvariantCulture),
                        string.Create(CultureInfo.InvariantCulture, $"loadvm_handle_recv_bitmap: invalid payload length ({len})"));
                break;
            case MigCommand.Packaged:
                uint n = BinaryPrimitives.ReadUInt32BigEndian(payload);
                long blobEnd = offset + 9 + n;
                if (_in.Length is { } total && blobEnd > total)
                    throw new VmStateFormatException(VmStateError.Truncated, total, string.Create(CultureInfo.InvariantCulture, $"{n} bytes of PACKAGED data"), "end of data",
                        string.Create(CultureInfo.InvariantCulture, $"CMD_PACKAGED: Buffer receive fail ret=-5 length={n}"));
                _packageEnds.Push(blobEnd);
                break;
        }
        Command = cmd;
        RecordType = RecordType.Command;
        PayloadOffset = offset + 5;
        PayloadLength = len;
        _in.Advance(5);
        _pending = len;
    }

    private ulong _postcopySummary;

    private bool ReadAfterEof()
    {
        if (!_in.Ensure(1))
        {
            _phase = Phase.Done;
            return false;
        }
        long offset = _in.Position;
        byte b = _in.Peek(1)[0];
        if (b != 0x06)
        {
            IgnoredDataOffset = offset;
            _diagnostics.Add(new Diagnostic(offset, string.Create(CultureInfo.InvariantCulture, $"Expected vmdescription section, but got {b}")) { Kind = DiagnosticKind.NoTrailer });
            _phase = Phase.Done;
            return false;
        }
        uint len = BinaryPrimitives.ReadUInt32BigEndian(_in.Peek(5)[1..]);
        if (len > _options.MaxRecordLength)
            throw new VmStateFormatException(VmStateError.LimitExceeded, offset + 1,
                string.Create(CultureInfo.InvariantCulture, $"a trailer of at most {_options.MaxRecordLength} bytes"), len.ToString(CultureInfo.InvariantCulture));
        if (!_in.Ensure(5 + (int)len))
            throw new VmStateFormatException(VmStateError.Truncated, _in.Position + _in.Available,
                string.Create(CultureInfo.InvariantCulture, $"{len} bytes of JSON trailer from 0x{offset + 5:x}"), "end of data");
        RecordType = RecordType.VmDescription;
        RecordOffset = offset;
        PayloadOffset = offset + 5;
        PayloadLength = len;
        var json = _in.Peek(5 + (int)len)[5..].ToArray();
        OwnTrailer = Trailer.Parse(json, offset);
        _in.Advance(5);
        _pending = (int)len;
        _phase = Phase.AfterTrailer;
        return true;
    }

    private static bool IsPageSize(long size) => size is >= 256 and <= 1 << 24 && long.IsPow2(size);

    internal void SetPageSize(int size, PageSizeSource source)
    {
        if (size < 256 || size > 1 << 24 || !int.IsPow2(size))
            throw new ArgumentOutOfRangeException(nameof(size), size, "page size must be a power of two between 256 and 16 MiB");
        PageSize = size;
        PageSizeSource = source;
    }

    private string Describe()
    {
        string at = string.Create(CultureInfo.InvariantCulture, $" at 0x{RecordOffset:x}");
        return RecordType switch
        {
            RecordType.SectionFull or RecordType.SectionStart or RecordType.SectionPart or RecordType.SectionEnd when Section is not null =>
                string.Create(CultureInfo.InvariantCulture, $"{TypeName(RecordType)} {Section.SectionId} '{Section.Idstr}' #{Section.InstanceId}{at}"),
            RecordType.Command => "COMMAND " + MigCommands.Name(Command) + at,
            RecordType.Configuration => "configuration" + at,
            _ => "record" + at,
        };
    }

    internal static string TypeName(RecordType t) => t switch
    {
        RecordType.SectionStart => "START",
        RecordType.SectionPart => "PART",
        RecordType.SectionEnd => "END",
        RecordType.SectionFull => "FULL",
        _ => t.ToString(),
    };

    private static string Hex32(uint v) => "0x" + v.ToString("X8", CultureInfo.InvariantCulture);

    internal static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Releases the buffer and, unless told to leave it open, the stream.</summary>
    public void Dispose()
    {
        _in.Dispose();
        if (!_leaveOpen) _stream.Dispose();
    }
}

/// <summary>A FULL section whose description and footer disagree on its length (the footer wins).</summary>
/// <param name="Idstr">Section idstr.</param>
/// <param name="InstanceId">Instance id.</param>
/// <param name="SectionId">Section id.</param>
/// <param name="DescribedLength">Length the description gives, or null when walking it failed.</param>
/// <param name="FooterLength">Length up to the footer.</param>
public sealed record DescriptionMismatch(string Idstr, uint InstanceId, uint SectionId, long? DescribedLength, long FooterLength);
