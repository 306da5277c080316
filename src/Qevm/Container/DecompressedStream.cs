namespace Qevm.Container;

/// <summary>
/// Read-only, forward-only wrapper of a decompressor: turns the libraries' own errors (bad data, a stream cut
/// short) into <see cref="VmStateFormatException"/> with the compressed stream's start offset.
/// </summary>
internal sealed class DecompressedStream(System.IO.Stream inner, StreamCompression format, long offset) : System.IO.Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("a compressed stream has no length until it is read: this command needs a seekable input");
    public override long Position
    {
        get => throw new NotSupportedException("a compressed stream cannot seek: this command needs an uncompressed input (decompress it first)");
        set => throw new NotSupportedException("a compressed stream cannot seek: this command needs an uncompressed input (decompress it first)");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return inner.Read(buffer);
        }
        catch (Exception e) when (IsDecompressorError(e))
        {
            throw Error(format, offset, e);
        }
    }

    /// <summary>What the decompressors throw on bad or cut data.</summary>
    internal static bool IsDecompressorError(Exception e) =>
        e is InvalidDataException or EndOfStreamException or IOException or InvalidOperationException
            or ArgumentException or IndexOutOfRangeException or NotSupportedException
        || e.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true
        || e.GetType().Namespace?.StartsWith("ZstdSharp", StringComparison.Ordinal) == true;

    /// <summary>The typed error for a decompressor's exception, at the compressed stream's start.</summary>
    internal static VmStateFormatException Error(StreamCompression format, long offset, Exception e) =>
        new(VmStateError.BadContainer, offset, $"a complete {Compression.Name(format)} stream", e.Message);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a compressed stream cannot seek: this command needs an uncompressed input");
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
