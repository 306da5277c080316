using System.Globalization;
using System.IO.Compression;

namespace Qevm.Container;

/// <summary>Streaming compression and decompression (forward-only, no temporary files) and detection by magic.</summary>
public static class Compression
{
    /// <summary>The name libvirt uses for <paramref name="format"/> (<c>save_image_format</c>).</summary>
    public static string Name(StreamCompression format) => format switch
    {
        StreamCompression.Raw => "raw",
        StreamCompression.Gzip => "gzip",
        StreamCompression.Bzip2 => "bzip2",
        StreamCompression.Xz => "xz",
        StreamCompression.Lzop => "lzop",
        StreamCompression.Zstd => "zstd",
        StreamCompression.Sparse => "sparse",
        _ => ((int)format).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Parses a libvirt format name (raw, gzip, bzip2, xz, lzop, zstd).</summary>
    public static StreamCompression Parse(string name)
    {
        foreach (var f in Enum.GetValues<StreamCompression>())
            if (string.Equals(Name(f), name, StringComparison.OrdinalIgnoreCase)) return f;
        throw new ArgumentException($"unknown compression '{name}' (expected raw, gzip, bzip2, xz, lzop or zstd)");
    }

    /// <summary>The compression whose magic starts <paramref name="head"/> (gzip, zstd, xz, bzip2, lzop), else null.</summary>
    public static StreamCompression? Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b])) return StreamCompression.Gzip;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd])) return StreamCompression.Zstd;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return StreamCompression.Xz;
        if (head.StartsWith("BZh"u8) && head.Length >= 4 && head[3] is >= (byte)'1' and <= (byte)'9') return StreamCompression.Bzip2;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a])) return StreamCompression.Lzop;
        return null;
    }

    /// <summary>A forward-only stream of the decompressed bytes of <paramref name="input"/>.</summary>
    public static System.IO.Stream Decompress(System.IO.Stream input, StreamCompression format, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (format == StreamCompression.Lzop)
            throw new NotSupportedException("lzop-compressed streams are not supported (no maintained .NET lzop library): decompress with `lzop -dc` and pipe the result");
        if (format is < StreamCompression.Raw or > StreamCompression.Sparse)
            throw new NotSupportedException($"unknown compression {(int)format}");
        System.IO.Stream inner;
        try
        {
            inner = Open(input, format);
        }
        catch (Exception e) when (DecompressedStream.IsDecompressorError(e))
        {
            // Some decompressors read their stream header at once (bzip2): bad data fails here already.
            input.Dispose();
            throw DecompressedStream.Error(format, offset, e);
        }
        return inner == input ? input : new DecompressedStream(inner, format, offset);
    }

    private static System.IO.Stream Open(System.IO.Stream input, StreamCompression format) =>
        format switch
        {
            StreamCompression.Raw or StreamCompression.Sparse => input,
            StreamCompression.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: false),
            StreamCompression.Bzip2 => SharpCompress.Compressors.BZip2.BZip2Stream.Create(input, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true, leaveOpen: false),
            StreamCompression.Xz => new SharpCompress.Compressors.Xz.XZStream(input),
            StreamCompression.Zstd => new ZstdSharp.DecompressionStream(input, leaveOpen: false),
            _ => throw new System.Diagnostics.UnreachableException(), // Decompress checked the format
        };

    /// <summary>Whether <see cref="Compress"/> can write <paramref name="format"/> (xz and lzop are read only).</summary>
    public static bool CanWrite(StreamCompression format) => format is not (StreamCompression.Xz or StreamCompression.Lzop);

    /// <summary>A stream that compresses what is written to it into <paramref name="output"/>; dispose it to finish.</summary>
    public static System.IO.Stream Compress(System.IO.Stream output, StreamCompression format, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(output);
        return format switch
        {
            StreamCompression.Raw or StreamCompression.Sparse => leaveOpen ? new NonClosingStream(output) : output,
            StreamCompression.Gzip => new GZipStream(output, CompressionLevel.Optimal, leaveOpen),
            StreamCompression.Bzip2 => SharpCompress.Compressors.BZip2.BZip2Stream.Create(output, SharpCompress.Compressors.CompressionMode.Compress, decompressConcatenated: false, leaveOpen: leaveOpen),
            StreamCompression.Zstd => new ZstdSharp.CompressionStream(output, 3, leaveOpen: leaveOpen),
            StreamCompression.Xz => throw new NotSupportedException("writing xz is not supported (SharpCompress only decompresses xz); gzip, bzip2, zstd and raw are"),
            StreamCompression.Lzop => throw new NotSupportedException("writing lzop is not supported; gzip, bzip2, zstd and raw are"),
            _ => throw new NotSupportedException($"unknown compression {(int)format}"),
        };
    }
}
