using System.Globalization;
using System.Text;

namespace Qevm.Streams;

/// <summary>
/// JSON in the shape of QEMU's <c>qobject/json-writer.c</c> in non-pretty mode (§13.1): separators <c>", "</c> and
/// <c>": "</c>, keys in call order, strings escaped by <c>quoted_str</c>. The trailer is written with it so that it
/// reads like QEMU's own.
/// </summary>
internal sealed class QemuJsonWriter
{
    private readonly StringBuilder _out = new();
    private readonly Stack<bool> _needComma = new();

    public void StartObject(string? name = null) => Open(name, '{');

    public void EndObject() => Close('}');

    public void StartArray(string? name = null) => Open(name, '[');

    public void EndArray() => Close(']');

    public void String(string name, string value)
    {
        Key(name);
        Quote(value);
    }

    public void Int(string name, long value)
    {
        Key(name);
        _out.Append(value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The document as ASCII bytes.</summary>
    public byte[] ToBytes() => Encoding.ASCII.GetBytes(_out.ToString());

    private void Open(string? name, char bracket)
    {
        Key(name);
        _out.Append(bracket);
        _needComma.Push(false);
    }

    private void Close(char bracket)
    {
        _needComma.Pop();
        _out.Append(bracket);
    }

    private void Key(string? name)
    {
        if (_needComma.Count > 0)
        {
            if (_needComma.Peek()) _out.Append(", ");
            _needComma.Pop();
            _needComma.Push(true);
        }
        if (name is null) return;
        Quote(name);
        _out.Append(": ");
    }

    private void Quote(string s)
    {
        _out.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': _out.Append("\\\""); break;
                case '\\': _out.Append("\\\\"); break;
                case '\b': _out.Append("\\b"); break;
                case '\f': _out.Append("\\f"); break;
                case '\n': _out.Append("\\n"); break;
                case '\r': _out.Append("\\r"); break;
                case '\t': _out.Append("\\t"); break;
                default:
                    if (c < 0x20 || c >= 0x7F) _out.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else _out.Append(c);
                    break;
            }
        }
        _out.Append('"');
    }
}
