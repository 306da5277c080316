using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace Qevm.IO;

/// <summary>
/// Forward-only buffered view of a stream with absolute offsets, peeks of any length (the buffer grows up to
/// a limit) and skips that seek when the stream can. Offsets count from where reading started.
/// </summary>
internal sealed class StreamCursor : InputCursor
{
    private const int InitialSize = 1 << 16;
    private readonly System.IO.Stream _stream;
    private readonly long _maxBuffer;
    private byte[] _buf;
    private int _start;
    private int _end;
    private long _bufBase; // absolute offset of _buf[0]
    private bool _eof;

    public StreamCursor(System.IO.Stream stream, long maxBuffer)
    {
        _stream = stream;
        _maxBuffer = maxBuffer;
        _buf = ArrayPool<byte>.Shared.Rent(InitialSize);
        if (stream.CanSeek)
        {
            Origin = stream.Position;
            Length = stream.Length - Origin;
        }
    }

    /// <summary>Stream position that is offset 0.</summary>
    public override long Origin { get; }

    /// <summary>Total input length when the stream can tell (seekable), else null.</summary>
    public override long? Length { get; }

    public override long Position => _bufBase + _start;

    public override int Available => _end - _start;

    /// <summary>Makes at least <paramref name="count"/> bytes available; false when the input ends first.</summary>
    public override bool Ensure(int count)
    {
        if (_end - _start >= count) return true;
        if (count > _maxBuffer)
            throw new VmStateFormatException(VmStateError.LimitExceeded, Position,
                string.Create(CultureInfo.InvariantCulture, $"at most {_maxBuffer} bytes of lookahead"),
                string.Create(CultureInfo.InvariantCulture, $"a record needing {count}"));
        // A seekable input tells how many bytes are left: a length the input only claims (a damaged record) does not
        // make the buffer grow past them (the pool would keep such buffers).
        int need = Length is { } len ? (int)Math.Min(count, Math.Max(len - Position, _end - _start)) : count;
        if (need > _buf.Length - _start)
        {
            int live = _end - _start;
            if (need > _buf.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max((long)need, (long)_buf.Length * 2), Array.MaxLength));
                Buffer.BlockCopy(_buf, _start, bigger, 0, live);
                ArrayPool<byte>.Shared.Return(_buf);
                _buf = bigger;
            }
            else
            {
                Buffer.BlockCopy(_buf, _start, _buf, 0, live);
            }
            _bufBase += _start;
            _start = 0;
            _end = live;
        }
        while (_end - _start < count && !_eof)
        {
            int n = _stream.Read(_buf, _end, _buf.Length - _end);
            if (n == 0) _eof = true;
            else _end += n;
        }
        return _end - _start >= count;
    }

    /// <summary>The next <paramref name="count"/> bytes, not consumed; throws at end of data.</summary>
    public override ReadOnlySpan<byte> Peek(int count)
    {
        if (!Ensure(count)) ThrowTruncated(count);
        return _buf.AsSpan(_start, count);
    }

    /// <summary>Whatever is buffered from the current position (call <see cref="Ensure"/> first).</summary>
    public override ReadOnlySpan<byte> Buffered => _buf.AsSpan(_start, _end - _start);

    /// <summary>Consumes bytes that are buffered (after a successful peek).</summary>
    public override void Advance(int count)
    {
        if (count > _end - _start) throw new InvalidOperationException("advance beyond buffered data");
        _start += count;
    }

    /// <summary>Skips <paramref name="count"/> bytes: seeks when the stream can, else reads and drops them.</summary>
    public override void Skip(long count)
    {
        long buffered = _end - _start;
        if (count <= buffered)
        {
            _start += (int)count;
            return;
        }
        long target = Position + count;
        if (Length is { } len && target > len)
            ThrowTruncatedAt(len, count);
        count -= buffered;
        _bufBase = Position + buffered;
        _start = _end = 0;
        if (_stream.CanSeek)
        {
            _stream.Seek(Origin + target, SeekOrigin.Begin);
            _bufBase = target;
            return;
        }
        while (count > 0)
        {
            int n = _stream.Read(_buf, 0, (int)Math.Min(count, _buf.Length));
            if (n == 0)
            {
                _eof = true;
                ThrowTruncatedAt(_bufBase, count);
            }
            _bufBase += n;
            count -= n;
        }
    }

    /// <summary>Reads bytes at an absolute offset without moving the cursor (seekable streams only).</summary>
    public override void ReadAt(long offset, Span<byte> destination)
    {
        if (_stream is DecompressedStream)
            throw new NotSupportedException("this needs seeks (mapped-ram pages are read by offset), and a compressed stream is read forward only: decompress it to a file first");
        if (!_stream.CanSeek) throw new NotSupportedException("mapped-ram pages lie at fixed file offsets: reading them needs a seekable input (a file, not a pipe)");
        if (Length is { } len && offset + destination.Length > len) ThrowTruncatedAt(len, offset + destination.Length - len);
        long keep = _stream.Position;
        _stream.Seek(Origin + offset, SeekOrigin.Begin);
        _stream.ReadExactly(destination);
        _stream.Seek(keep, SeekOrigin.Begin);
    }


    public override void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
    }
}
