namespace Qevm.Qmp.Server;

/// <summary>
/// Cuts the byte stream of a QMP connection into JSON values, as QEMU's <c>json-streamer.c</c> does: a value ends
/// when its braces and brackets balance (no newline needed). A value above the size or nesting limit is reported
/// once ("JSON token size limit exceeded", "JSON nesting depth limit exceeded") and its remaining bytes are
/// skipped, so the next message is read normally.
/// </summary>
internal sealed class QmpMessageSplitter(int maxBytes, int maxNesting = 1024)
{
    private readonly MemoryStream _buffer = new();
    private int _depth;
    private bool _inString;
    private bool _escape;
    private bool _scalar;
    private bool _discarding;
    private bool _topString;

    /// <summary>One complete value's bytes, or the error that replaced it.</summary>
    public readonly record struct Message(byte[]? Json, string? Error);

    public void Feed(ReadOnlySpan<byte> chunk, List<Message> output)
    {
        foreach (var b in chunk)
        {
            if (_scalar)
            {
                // A top-level scalar ends at whitespace or a structural character.
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'{' or (byte)'[' or (byte)'}' or (byte)']')
                {
                    if (!_discarding) Emit(output);
                    _discarding = false;
                    _scalar = false;
                    if (b is (byte)'{' or (byte)'[' or (byte)'}' or (byte)']') Start(b, output);
                    continue;
                }
                Append(b, output);
                continue;
            }
            if (_depth == 0 && !_inString)
            {
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
                Start(b, output);
                continue;
            }
            Track(b);
            if (!_discarding) Append(b, output);
            if (_depth == 0 && !_inString)
            {
                if (_discarding) _discarding = false;
                else Emit(output);
            }
            else if (_depth > maxNesting && !_discarding)
            {
                Fail("JSON nesting depth limit exceeded", output);
            }
        }
    }

    private void Start(byte b, List<Message> output)
    {
        switch (b)
        {
            case (byte)'{' or (byte)'[':
                _depth = 1;
                Append(b, output);
                break;
            case (byte)'}' or (byte)']':
                // An unbalanced closing bracket is a message of its own, which does not parse.
                _buffer.WriteByte(b);
                Emit(output);
                break;
            case (byte)'"':
                // A top-level string: one level deep until its closing quote.
                _inString = true;
                _topString = true;
                _depth = 1;
                Append(b, output);
                break;
            default:
                _scalar = true;
                Append(b, output);
                break;
        }
    }

    private void Track(byte b)
    {
        if (_inString)
        {
            if (_escape) _escape = false;
            else if (b == '\\') _escape = true;
            else if (b == '"')
            {
                _inString = false;
                if (_topString)
                {
                    _topString = false;
                    _depth = 0;
                }
            }
            return;
        }
        switch (b)
        {
            case (byte)'"': _inString = true; break;
            case (byte)'{' or (byte)'[': _depth++; break;
            case (byte)'}' or (byte)']': _depth--; break;
        }
    }

    private void Append(byte b, List<Message> output)
    {
        if (_discarding) return;
        _buffer.WriteByte(b);
        if (_buffer.Length > maxBytes) Fail("JSON token size limit exceeded", output);
    }

    private void Fail(string error, List<Message> output)
    {
        output.Add(new Message(null, error));
        _buffer.SetLength(0);
        _discarding = _scalar || _depth > 0 || _inString;
    }

    private void Emit(List<Message> output)
    {
        if (_buffer.Length == 0) return;
        output.Add(new Message(_buffer.ToArray(), null));
        _buffer.SetLength(0);
    }
}
