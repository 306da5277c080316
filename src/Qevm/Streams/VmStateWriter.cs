using System.Buffers.Binary;

namespace Qevm.Streams;

/// <summary>
/// Writes a VM-state stream record by record: the mirror of <see cref="VmStateReader"/>. Output is buffered;
/// call <see cref="Flush"/> or dispose to push it to the stream.
/// </summary>
public sealed class VmStateWriter : IDisposable
{
    private readonly System.IO.Stream _out;
    private readonly bool _leaveOpen;
    private readonly BufferedStream _buffer;

    /// <summary>Creates a writer over <paramref name="output"/>.</summary>
    public VmStateWriter(System.IO.Stream output, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        _out = output;
        _leaveOpen = leaveOpen;
        _buffer = new BufferedStream(output, 1 << 20);
    }

    /// <summary>Bytes written so far.</summary>
    public long Position { get; private set; }

    /// <summary>Magic <c>QEVM</c> and the version (§3).</summary>
    public void WriteHeader(uint version = 3)
    {
        Span<byte> h = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(h, 0x5145564D);
        BinaryPrimitives.WriteUInt32BigEndian(h[4..], version);
        WriteRaw(h);
    }

    /// <summary>The configuration section (§14), subsections in the order they were read (or the canonical order).</summary>
    public void WriteConfiguration(ConfigurationSection configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        WriteByte(0x07);
        var name = configuration.MachineBytes.Length > 0 ? configuration.MachineBytes : System.Text.Encoding.Latin1.GetBytes(configuration.Machine);
        WriteBe32((uint)name.Length);
        WriteRaw(name);
        IEnumerable<(string Name, uint Version)> order = configuration.SubsectionOrder.Count > 0 ? configuration.SubsectionOrder :
        [
            .. configuration.TargetPageBits is null ? Array.Empty<(string, uint)>() : [("configuration/target-page-bits", 1u)],
            .. configuration.Capabilities is null ? Array.Empty<(string, uint)>() : [("configuration/capabilities", 1u)],
            .. configuration.Uuid is null ? Array.Empty<(string, uint)>() : [("configuration/uuid", 1u)],
        ];
        foreach (var (sub, version) in order)
        {
            var head = new System.Buffers.ArrayBufferWriter<byte>(6 + sub.Length);
            SubsectionHeader.Write(head, sub, version);
            WriteRaw(head.WrittenSpan);
            switch (sub)
            {
                case "configuration/target-page-bits":
                    WriteBe32(configuration.TargetPageBits ?? throw new ArgumentException("target-page-bits listed but not set", nameof(configuration)));
                    break;
                case "configuration/capabilities":
                    var caps = configuration.Capabilities ?? throw new ArgumentException("capabilities listed but not set", nameof(configuration));
                    WriteBe32((uint)caps.Count);
                    foreach (var cap in caps) WriteString8(System.Text.Encoding.Latin1.GetBytes(cap));
                    break;
                case "configuration/uuid":
                    var uuid = configuration.Uuid ?? throw new ArgumentException("uuid listed but not set", nameof(configuration));
                    if (uuid.Length != 16) throw new ArgumentException("a UUID has 16 bytes", nameof(configuration));
                    WriteRaw(uuid);
                    break;
                default:
                    throw new ArgumentException("unknown configuration subsection " + sub, nameof(configuration));
            }
        }
    }

    /// <summary>A command record (§10). For <see cref="MigCommand.Packaged"/>, the nested records follow as ordinary writes.</summary>
    public void WriteCommand(ushort command, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > ushort.MaxValue) throw new ArgumentException("command payloads are at most 65535 bytes", nameof(payload));
        WriteByte(0x08);
        WriteBe16(command);
        WriteBe16((ushort)payload.Length);
        WriteRaw(payload);
    }

    /// <summary>A section header: FULL/START with the whole header, PART/END with the id only.</summary>
    public void WriteSectionHeader(RecordType type, SectionHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (type is not (RecordType.SectionStart or RecordType.SectionPart or RecordType.SectionEnd or RecordType.SectionFull))
            throw new ArgumentOutOfRangeException(nameof(type), type, "not a section record");
        WriteByte((byte)type);
        WriteBe32(header.SectionId);
        if (type is RecordType.SectionStart or RecordType.SectionFull)
        {
            if (header.IdstrBytes.Length is 0 or > 255) throw new ArgumentException("an idstr has 1..255 bytes", nameof(header));
            WriteString8(header.IdstrBytes);
            WriteBe32(header.InstanceId);
            WriteBe32(header.VersionId);
        }
    }

    /// <summary>Section data as bytes (a FULL payload, or an iterative record).</summary>
    public void WriteSectionData(ReadOnlySpan<byte> data) => WriteRaw(data);

    /// <summary>Section footer: 0x7E + be32 section id (§9).</summary>
    public void WriteFooter(uint sectionId)
    {
        WriteByte(0x7E);
        WriteBe32(sectionId);
    }

    /// <summary>A RAM record (§11) from its parts; the block name is written unless the flags say CONTINUE.</summary>
    public void WriteRamRecord(in IterativeItem item, ReadOnlySpan<byte> data)
    {
        switch (item.Kind)
        {
            case IterativeItemKind.RamBlockEntry:
                var b = item.Block ?? throw new ArgumentException("a block entry needs its block", nameof(item));
                WriteString8(b.NameBytes);
                WriteBe64(b.UsedLength);
                if (b.PageSizeWord is { } ps) WriteBe64(ps);
                if (b.Address is { } addr) WriteBe64(addr);
                if (b.MappedRam is { } m)
                {
                    WriteBe32(m.Version);
                    WriteBe64(m.PageSize);
                    WriteBe64(m.BitmapOffset);
                    WriteBe64(m.PagesOffset);
                }
                return;
            case IterativeItemKind.RamMappedRegion:
                throw new NotSupportedException("mapped-ram regions are copied with the input at hand, not from a record");
        }
        WriteBe64(item.Value | item.Flags);
        bool named = item.Kind is IterativeItemKind.RamZero or IterativeItemKind.RamPage or IterativeItemKind.RamXbzrle or IterativeItemKind.RamCompressedPage;
        if (named && (item.Flags & (ulong)RamFlags.Continue) == 0)
            WriteString8((item.Block ?? throw new ArgumentException("a page record without CONTINUE needs its block", nameof(item))).NameBytes);
        switch (item.Kind)
        {
            case IterativeItemKind.RamZero:
                WriteByte(item.FillByte);
                break;
            case IterativeItemKind.RamPage:
                WriteRaw(data);
                break;
            case IterativeItemKind.RamXbzrle:
                WriteByte(0x01);
                WriteBe16((ushort)data.Length);
                WriteRaw(data);
                break;
            case IterativeItemKind.RamCompressedPage:
                WriteBe32((uint)data.Length);
                WriteRaw(data);
                break;
        }
    }

    /// <summary><c>QEMU_VM_EOF</c>.</summary>
    public void WriteEof() => WriteByte(0x00);

    /// <summary>The JSON trailer: 0x06, be32 length, the JSON (§13.1).</summary>
    public void WriteTrailer(ReadOnlySpan<byte> json)
    {
        WriteByte(0x06);
        WriteBe32((uint)json.Length);
        WriteRaw(json);
    }

    /// <summary>Raw bytes, for callers that copy records unchanged.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        Position += bytes.Length;
    }

    /// <summary>Advances the output by <paramref name="count"/> zero bytes, as a hole when the output can seek.</summary>
    public void WriteHole(long count)
    {
        if (_out.CanSeek)
        {
            _buffer.Flush();
            _out.Seek(count, SeekOrigin.Current);
            if (_out.Position > _out.Length) _out.SetLength(_out.Position);
        }
        else
        {
            Span<byte> zeros = stackalloc byte[4096];
            zeros.Clear();
            for (long left = count; left > 0; left -= zeros.Length) _buffer.Write(zeros[..(int)Math.Min(left, zeros.Length)]);
        }
        Position += count;
    }

    /// <summary>Pushes buffered bytes to the stream.</summary>
    public void Flush() => _buffer.Flush();

    private void WriteByte(byte b)
    {
        _buffer.WriteByte(b);
        Position++;
    }

    private void WriteBe16(ushort v)
    {
        Span<byte> s = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(s, v);
        WriteRaw(s);
    }

    private void WriteBe32(uint v)
    {
        Span<byte> s = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(s, v);
        WriteRaw(s);
    }

    private void WriteBe64(ulong v)
    {
        Span<byte> s = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(s, v);
        WriteRaw(s);
    }

    private void WriteString8(ReadOnlySpan<byte> s)
    {
        if (s.Length > 255) throw new ArgumentException("counted strings have at most 255 bytes", nameof(s));
        WriteByte((byte)s.Length);
        WriteRaw(s);
    }

    /// <summary>Flushes and, unless told to leave it open, closes the stream.</summary>
    public void Dispose()
    {
        _buffer.Flush();
        if (!_leaveOpen) _buffer.Dispose();
    }
}
