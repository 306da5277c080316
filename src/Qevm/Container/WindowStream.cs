namespace Qevm.Container;

/// <summary>A read-only, seekable window [start, start+length) of a seekable stream; position 0 is <c>start</c>.</summary>
internal sealed class WindowStream(System.IO.Stream inner, long start, long length) : System.IO.Stream
{
    private long _pos;

    /// <summary>
    /// The file offset that mapped-ram offsets inside the window count from: <c>start</c> when QEMU wrote the stream
    /// at <c>file:PATH,offset=start</c> (a libvirt sparse save image), else 0 (offsets relative to the window).
    /// </summary>
    public long MappedRamBase { get; init; }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _pos; set => _pos = value; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        long left = length - _pos;
        if (left <= 0) return 0;
        if (buffer.Length > left) buffer = buffer[..(int)left];
        inner.Position = start + _pos;
        int n = inner.Read(buffer);
        _pos += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => _pos = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _pos + offset,
        _ => length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
