namespace Qevm.Container;

/// <summary>Bytes already read from a pipe (to look at its magic), then the rest of the pipe.</summary>
internal sealed class PrefixedStream(byte[] prefix, System.IO.Stream rest) : System.IO.Stream
{
    private int _used;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("this needs a seekable input (a file, not a pipe)");
    public override long Position { get => throw new NotSupportedException("this needs a seekable input (a file, not a pipe)"); set => throw new NotSupportedException("this needs a seekable input (a file, not a pipe)"); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_used < prefix.Length)
        {
            int n = Math.Min(buffer.Length, prefix.Length - _used);
            prefix.AsSpan(_used, n).CopyTo(buffer);
            _used += n;
            return n;
        }
        return rest.Read(buffer);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("this needs a seekable input (a file, not a pipe)");
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) rest.Dispose();
        base.Dispose(disposing);
    }
}
