using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Qevm.Container;

/// <summary>
/// The header of a libvirt save image (<c>virsh save</c>, <c>managedsave</c>; libvirt's
/// <c>src/qemu/qemu_saveimage.h</c>): 16-byte magic, version, data_len, was_running, format, cookieOffset and 14
/// unused words in the writer's byte order (92 bytes), then data_len bytes: the NUL-terminated domain XML, the
/// NUL-terminated cookie (version 2) and zero padding; then the QEMU stream, compressed as the format says.
/// </summary>
public sealed class LibvirtSaveHeader : VmStateContainer
{
    /// <summary>Size of the fixed header.</summary>
    public const int HeaderLength = 92;

    /// <summary>Padding libvirt adds after the XML and cookie of a new image, so that the XML can grow in place.</summary>
    public const int DefaultPadding = 64 * 1024;

    /// <summary>Largest data_len read (the domain XML and cookie of any real domain are far smaller).</summary>
    public const int MaxDataLength = 64 << 20;

    private static ReadOnlySpan<byte> SaveMagic => "LibvirtQemudSave"u8;
    private static ReadOnlySpan<byte> PartialMagic => "LibvirtQemudPart"u8;

    private byte[] _unused = new byte[56];

    /// <inheritdoc/>
    public override string Kind => "libvirt";

    /// <summary>True for <c>LibvirtQemudPart</c>: libvirt had not finished the save.</summary>
    public bool Partial { get; init; }

    /// <summary>True when the header is big-endian (libvirt writes host order and reads either).</summary>
    public bool BigEndian { get; init; }

    /// <summary>Header version: 1 (no compression, no cookie) or 2.</summary>
    public uint Version { get; init; } = 2;

    /// <summary>Bytes between the header and the QEMU stream: XML, cookie and padding.</summary>
    public uint DataLength { get; init; }

    /// <summary>1 when the domain was running when saved (libvirt resumes it on restore).</summary>
    public uint WasRunning { get; init; }

    /// <summary>The format field as stored (0 raw, 1 gzip, 2 bzip2, 3 xz, 4 lzop, 5 zstd, 6 sparse).</summary>
    public uint Format { get; init; }

    /// <summary>Where the cookie starts inside the data (0: no cookie).</summary>
    public uint CookieOffset { get; init; }

    /// <summary>The domain XML.</summary>
    public string Xml { get; init; } = "";

    /// <summary>The cookie (libvirt's <c>&lt;qemu-save-cookie&gt;</c> XML), if any.</summary>
    public string? Cookie { get; init; }

    /// <summary>Zero bytes after the XML and cookie.</summary>
    public long PaddingLength { get; init; }

    /// <summary>Offset of the QEMU stream (or its compressed form) in the file.</summary>
    public long StreamOffset => HeaderLength + (long)DataLength;

    /// <summary>How the QEMU stream is stored: libvirt decompresses only version 2 images.</summary>
    public StreamCompression Compression => Version == 2 ? (StreamCompression)Format : StreamCompression.Raw;

    /// <summary>True when <paramref name="head"/> starts with a libvirt save magic (complete or partial).</summary>
    public static bool IsMagic(ReadOnlySpan<byte> head) => head.StartsWith(SaveMagic) || head.StartsWith(PartialMagic);

    /// <summary>
    /// Reads the header and data from <paramref name="input"/> (left at the QEMU stream).
    /// <paramref name="length"/> is the file length when known, to report lengths past its end.
    /// </summary>
    public static LibvirtSaveHeader Read(System.IO.Stream input, long? length = null, bool allowPartial = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        var h = new byte[HeaderLength];
        int got = input.ReadAtLeast(h, HeaderLength, throwOnEndOfStream: false);
        if (got < HeaderLength)
            throw Bad(got, "a 92-byte libvirt save header", string.Create(CultureInfo.InvariantCulture, $"end of data after {got} bytes"));
        bool partial = h.AsSpan().StartsWith(PartialMagic);
        if (!partial && !h.AsSpan().StartsWith(SaveMagic))
            throw Bad(0, "magic LibvirtQemudSave", Encoding.ASCII.GetString(h, 0, 16));
        if (partial && !allowPartial)
            throw new VmStateFormatException(VmStateError.PartialSave, 0, "magic LibvirtQemudSave", "LibvirtQemudPart: libvirt did not finish this save (save image is incomplete)");
        bool big = false;
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(16));
        if (version > 2)
        {
            // libvirt: "convert endianness and try again".
            big = true;
            version = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(16));
        }
        if (version is 0 or > 2)
            throw Bad(16, "header version 1 or 2", string.Create(CultureInfo.InvariantCulture, $"{BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(16))} (image version is not supported)"));
        uint U(int at) => big ? BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(at));
        uint dataLen = U(20), wasRunning = U(24), format = U(28), cookieOffset = U(32);
        if (format > (uint)StreamCompression.Sparse)
            throw Bad(28, "a save image format 0-6 (raw, gzip, bzip2, xz, lzop, zstd, sparse)", string.Create(CultureInfo.InvariantCulture, $"{format} (unsupported save image format)"));
        if (dataLen == 0)
            throw Bad(20, "data_len > 0", "0 (invalid header data length)");
        if (dataLen > MaxDataLength)
            throw Bad(20, string.Create(CultureInfo.InvariantCulture, $"data_len at most {MaxDataLength}"), dataLen.ToString(CultureInfo.InvariantCulture));
        if (length is { } len && HeaderLength + (long)dataLen > len)
            throw Bad(20, string.Create(CultureInfo.InvariantCulture, $"data_len within the file ({len - HeaderLength} bytes after the header)"),
                dataLen.ToString(CultureInfo.InvariantCulture));
        if (cookieOffset > dataLen)
            throw Bad(32, string.Create(CultureInfo.InvariantCulture, $"cookieOffset at most data_len ({dataLen})"), cookieOffset.ToString(CultureInfo.InvariantCulture));
        var data = new byte[dataLen];
        got = input.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < data.Length)
            throw Bad(HeaderLength + got, string.Create(CultureInfo.InvariantCulture, $"{dataLen} bytes of domain XML, cookie and padding (data_len)"), "end of data");
        uint xmlLen = cookieOffset != 0 ? cookieOffset : dataLen;
        int xmlEnd = data.AsSpan(0, (int)xmlLen).IndexOf((byte)0);
        if (xmlEnd < 0)
            throw Bad(HeaderLength + xmlLen, "a NUL at the end of the domain XML", "none within its " + xmlLen.ToString(CultureInfo.InvariantCulture) + " bytes");
        long used = xmlEnd + 1;
        string? cookie = null;
        if (cookieOffset != 0)
        {
            int cookieEnd = data.AsSpan((int)cookieOffset).IndexOf((byte)0);
            if (cookieEnd < 0)
                throw Bad(HeaderLength + dataLen, "a NUL at the end of the cookie", "none before the end of data_len");
            cookie = Encoding.UTF8.GetString(data, (int)cookieOffset, cookieEnd);
            used = cookieOffset + cookieEnd + 1;
        }
        return new LibvirtSaveHeader
        {
            Partial = partial,
            BigEndian = big,
            Version = version,
            DataLength = dataLen,
            WasRunning = wasRunning,
            Format = format,
            CookieOffset = cookieOffset,
            Xml = Encoding.UTF8.GetString(data, 0, xmlEnd),
            Cookie = cookie,
            PaddingLength = dataLen - used,
            _unused = h[36..],
        };
    }

    /// <summary>
    /// This header with another domain XML (what <c>virsh save-image-define</c> does): data_len stays when the new XML
    /// and the cookie fit, as libvirt requires; otherwise it grows to their length plus 64 KiB, as for a new image.
    /// </summary>
    public LibvirtSaveHeader WithXml(string xml) => With(xml, Compression);

    /// <summary>This header with the QEMU stream stored in <paramref name="compression"/>.</summary>
    public LibvirtSaveHeader WithCompression(StreamCompression compression) => With(Xml, compression);

    private LibvirtSaveHeader With(string xml, StreamCompression compression)
    {
        ArgumentNullException.ThrowIfNull(xml);
        if (xml.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException("the domain XML contains a NUL byte");
        if (Version == 1 && compression != StreamCompression.Raw)
            throw new NotSupportedException("a version 1 libvirt image cannot be compressed (libvirt reads its stream raw)");
        long xmlLen = Encoding.UTF8.GetByteCount(xml) + 1;
        long cookieLen = Cookie is null ? 0 : Encoding.UTF8.GetByteCount(Cookie) + 1;
        long len = xmlLen + cookieLen;
        long dataLen = len <= DataLength ? DataLength : len + DefaultPadding;
        return new LibvirtSaveHeader
        {
            Partial = Partial,
            BigEndian = BigEndian,
            Version = Version,
            DataLength = checked((uint)dataLen),
            WasRunning = WasRunning,
            Format = Version == 2 ? (uint)compression : Format,
            CookieOffset = Cookie is null ? CookieOffset : (uint)xmlLen,
            Xml = xml,
            Cookie = Cookie,
            PaddingLength = dataLen - len,
            _unused = _unused,
        };
    }

    /// <summary>Writes the 92-byte header and the data (XML, cookie, padding) as libvirt's virQEMUSaveDataWrite does.</summary>
    public void Write(System.IO.Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var h = new byte[HeaderLength];
        (Partial ? PartialMagic : SaveMagic).CopyTo(h);
        void U(int at, uint v)
        {
            if (BigEndian) BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(at), v);
            else BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(at), v);
        }
        U(16, Version);
        U(20, DataLength);
        U(24, WasRunning);
        U(28, Format);
        U(32, CookieOffset);
        _unused.CopyTo(h.AsSpan(36));
        output.Write(h);
        var data = new byte[DataLength];
        int n = Encoding.UTF8.GetBytes(Xml, data);
        if (Cookie is not null) Encoding.UTF8.GetBytes(Cookie, data.AsSpan((int)CookieOffset));
        _ = n;
        output.Write(data);
    }

    /// <inheritdoc/>
    public override System.IO.Stream OpenWrite(System.IO.Stream output, StreamCompression? compress = null)
    {
        var header = compress is { } c && c != Compression ? WithCompression(c) : this;
        header.Write(output);
        return Qevm.Container.Compression.Compress(output, header.Compression);
    }

    /// <inheritdoc/>
    public override void WriteJson(Utf8JsonWriter writer) => WriteJson(writer, withText: false);

    /// <summary>The header fields, and with <paramref name="withText"/> the XML and cookie too (what <c>compose</c> needs).</summary>
    internal void WriteJson(Utf8JsonWriter writer, bool withText)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteString("magic", Partial ? "LibvirtQemudPart" : "LibvirtQemudSave");
        writer.WriteString("byte_order", BigEndian ? "big" : "little");
        writer.WriteNumber("version", Version);
        writer.WriteNumber("data_len", DataLength);
        writer.WriteNumber("was_running", WasRunning);
        writer.WriteNumber("format", Format);
        writer.WriteString("compression", Qevm.Container.Compression.Name(Compression));
        writer.WriteNumber("cookie_offset", CookieOffset);
        writer.WriteNumber("xml_length", Encoding.UTF8.GetByteCount(Xml));
        if (Cookie is null) writer.WriteNull("cookie_length"); else writer.WriteNumber("cookie_length", Encoding.UTF8.GetByteCount(Cookie));
        writer.WriteNumber("padding", PaddingLength);
        writer.WriteNumber("stream_offset", StreamOffset);
        if (withText)
        {
            writer.WriteString("xml", Xml);
            if (Cookie is null) writer.WriteNull("cookie"); else writer.WriteString("cookie", Cookie);
        }
        writer.WriteEndObject();
    }

    internal static LibvirtSaveHeader FromDumpJson(JsonElement e)
    {
        string xml = e.GetProperty("xml").GetString() ?? throw new ArgumentException("the libvirt container has no \"xml\"");
        string? cookie = e.TryGetProperty("cookie", out var c) ? c.GetString() : null;
        uint dataLen = e.GetProperty("data_len").GetUInt32();
        long used = Encoding.UTF8.GetByteCount(xml) + 1 + (cookie is null ? 0 : Encoding.UTF8.GetByteCount(cookie) + 1);
        var header = new LibvirtSaveHeader
        {
            Partial = e.GetProperty("magic").GetString() == "LibvirtQemudPart",
            BigEndian = e.GetProperty("byte_order").GetString() == "big",
            Version = e.GetProperty("version").GetUInt32(),
            DataLength = dataLen,
            WasRunning = e.GetProperty("was_running").GetUInt32(),
            Format = e.GetProperty("format").GetUInt32(),
            CookieOffset = e.GetProperty("cookie_offset").GetUInt32(),
            Xml = "",
            Cookie = cookie,
            PaddingLength = dataLen - used,
        };
        // Through WithXml: data_len, cookieOffset and padding as libvirt computes them for this XML.
        return header.WithXml(xml);
    }

    private static VmStateFormatException Bad(long offset, string expected, string? found) =>
        new(VmStateError.BadContainer, offset, expected, found, record: "libvirt save header");
}
