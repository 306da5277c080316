namespace Qevm.Tests.Corpus;

/// <summary>A stream that behaves like a pipe: forward reads only, no length, no seeking.</summary>
public sealed class NonSeekableStream(Stream inner) : Stream
{
    /// <summary>A pipe over a byte array.</summary>
    public NonSeekableStream(byte[] data)
        : this(new MemoryStream(data, writable: false))
    {
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7919));
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
