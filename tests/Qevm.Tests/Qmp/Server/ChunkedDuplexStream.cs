namespace Qevm.Tests.Qmp.Server;

/// <summary>
/// A client for <c>QmpServer.ServeStreamAsync</c> without sockets: reads hand out the input in the given chunks (one
/// chunk per read, then EOF); writes are collected, and stay readable after the server disposes the stream.
/// </summary>
internal sealed class ChunkedDuplexStream(byte[] input, IReadOnlyList<int> chunkSizes) : Stream
{
    private readonly MemoryStream _written = new();
    private int _position;
    private int _chunk;

    public byte[] Written
    {
        get
        {
            lock (_written) return _written.ToArray();
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position >= input.Length) return 0;
        int size = chunkSizes.Count == 0 ? input.Length : chunkSizes[_chunk++ % chunkSizes.Count];
        int n = Math.Min(Math.Min(size, count), input.Length - _position);
        Array.Copy(input, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_written) _written.Write(buffer, offset, count);
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
