using System.Globalization;
using System.Text;

namespace Qevm.Cli.Rendering;

/// <summary>
/// A write-only stream that prints what is written as <c>xxd</c> does (16 bytes a line in groups of two, then the
/// printable characters), each line led by the guest-physical address of its first byte.
/// </summary>
internal sealed class HexDumpStream(TextWriter writer, ulong address) : Stream
{
    // Console.Out flushes every write: the lines of one Write go out together, a few at most this long.
    private const int Batch = 1 << 16;

    private readonly byte[] _line = new byte[16];
    private readonly StringBuilder _text = new();
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
            if (_filled == _line.Length) AppendLine();
            if (_text.Length >= Batch) Emit();
        }
        Emit();
    }

    // The last, shorter line is printed when the dump ends.
    public override void Flush()
    {
        if (_filled > 0) AppendLine();
        Emit();
        writer.Flush();
    }

    private void AppendLine()
    {
        var ci = CultureInfo.InvariantCulture;
        _text.Append(ci, $"{_address:x8}:");
        for (int i = 0; i < _line.Length; i++)
        {
            if (i % 2 == 0) _text.Append(' ');
            if (i < _filled) _text.Append(ci, $"{_line[i]:x2}");
            else _text.Append("  ");
        }
        _text.Append("  ");
        for (int i = 0; i < _filled; i++) _text.Append(_line[i] is >= 0x20 and < 0x7f ? (char)_line[i] : '.');
        _text.Append(writer.NewLine);
        _address += (ulong)_filled;
        _filled = 0;
    }

    private void Emit()
    {
        if (_text.Length == 0) return;
        writer.Write(_text.ToString());
        _text.Clear();
    }
}
