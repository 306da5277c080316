using System.Buffers.Binary;
using System.Globalization;

namespace Qevm.Engine;

/// <summary>
/// The payload of one section being loaded and the read position. Positions are absolute offsets in the file, so
/// every error a field raises names the file's byte; reading past the payload's end is a truncation at that end.
/// </summary>
internal sealed class LoadInput
{
    private readonly byte[] _bytes;

    /// <summary>A payload that starts at file offset 0 (tests, standalone descriptions).</summary>
    public LoadInput(byte[] data)
        : this(data, 0)
    {
    }

    /// <summary>A copy of <paramref name="payload"/>, whose first byte is at file offset <paramref name="offset"/>.</summary>
    public LoadInput(ReadOnlySpan<byte> payload, long offset)
        : this(payload.ToArray(), offset)
    {
    }

    private LoadInput(byte[] bytes, long offset)
    {
        _bytes = bytes;
        Start = offset;
        Position = offset;
        Data = new LoadBytes(bytes, offset);
    }

    /// <summary>File offset of the payload's first byte.</summary>
    public long Start { get; }

    /// <summary>File offset just past the payload.</summary>
    public long End => Start + _bytes.Length;

    /// <summary>The payload, indexed by file offsets.</summary>
    public LoadBytes Data { get; }

    /// <summary>File offset of the next byte to read.</summary>
    public long Position { get; set; }

    /// <summary>Bytes of the payload not read yet.</summary>
    public int Remaining => (int)(End - Position);

    /// <summary>Bytes read so far.</summary>
    public int Consumed => (int)(Position - Start);

    public byte Peek(int ahead) => _bytes[Consumed + ahead];

    public ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || Remaining < count)
            throw new VmStateFormatException(VmStateError.Truncated, End,
                string.Create(CultureInfo.InvariantCulture, $"{count} bytes for {what}"), "the end of the section's data");
        var span = _bytes.AsSpan(Consumed, count);
        Position += count;
        return span;
    }

    public byte ReadByte(string what) => Take(1, what)[0];

    public uint ReadBe32(string what) => BinaryPrimitives.ReadUInt32BigEndian(Take(4, what));

    public ulong ReadBits(int size, string what)
    {
        ulong bits = 0;
        foreach (var b in Take(size, what)) bits = bits << 8 | b;
        return bits;
    }
}
