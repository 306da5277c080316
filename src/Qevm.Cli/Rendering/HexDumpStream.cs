using System.Globalization;
using System.Text;

namespace Qevm.Cli.Rendering;

/// <summary>
/// A write-only stream that prints what is written as <c>xxd</c> does (16 bytes a line in groups of two, then the
/// printable characters), each line led by the guest-physical address of its first byte.
/// </summary>
internal sealed class HexDumpStream(TextWriter writer, ulong address) : Stream
{
    private readonly byte[] _line = new byte[16];
    private int _filled;
    private ulong _address = address;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _line.Length - _filled);
            buffer[..n].CopyTo(_line.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _line.Length) WriteLine();
        }
    }

    // The last, shorter line is printed when the dump ends.
    public override void Flush()
    {
        if (_filled > 0) WriteLine();
        writer.Flush();
    }

    private void WriteLine()
    {
        var s = new StringBuilder(80);
        s.Append(_address.ToString("x8", CultureInfo.InvariantCulture)).Append(':');
        for (int i = 0; i < _line.Length; i++)
        {
            if (i % 2 == 0) s.Append(' ');
            if (i < _filled) s.Append(_line[i].ToString("x2", CultureInfo.InvariantCulture));
            else s.Append("  ");
        }
        s.Append("  ");
        for (int i = 0; i < _filled; i++) s.Append(_line[i] is >= 0x20 and < 0x7f ? (char)_line[i] : '.');
        writer.WriteLine(s.ToString());
        _address += (ulong)_filled;
        _filled = 0;
    }
}
