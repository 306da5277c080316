namespace Qevm.Container;

/// <summary>
/// Writes through to a stream that stays open when this one is disposed. Over a seekable stream it is seekable
/// too, with position 0 where it started, so that the holes of a mapped-ram stream stay holes behind a header.
/// </summary>
internal sealed class NonClosingStream(System.IO.Stream inner) : System.IO.Stream
{
    private readonly long _start = inner.CanSeek ? inner.Position : 0;

    public override bool CanRead => false;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => true;
    public override long Length => inner.CanSeek ? inner.Length - _start : throw new NotSupportedException();
    public override long Position
    {
        get => inner.CanSeek ? inner.Position - _start : throw new NotSupportedException();
        set => inner.Position = inner.CanSeek ? _start + value : throw new NotSupportedException();
    }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => origin switch
    {
        SeekOrigin.Begin => inner.Seek(_start + offset, SeekOrigin.Begin) - _start,
        _ => inner.Seek(offset, origin) - _start,
    };
    public override void SetLength(long value) => inner.SetLength(_start + value);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
}
