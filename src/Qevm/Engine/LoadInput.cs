using System.Buffers.Binary;
using System.Globalization;

namespace Qevm.Engine;

/// <summary>The bytes being loaded and the read position; offsets are absolute in the file.</summary>
internal sealed class LoadInput(byte[] data)
{
    public byte[] Data { get; } = data;

    public int Position { get; set; }

    public int Remaining => Data.Length - Position;

    public byte Peek(int ahead) => Data[Position + ahead];

    public ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || Remaining < count)
            throw new VmStateFormatException(VmStateError.Truncated, Data.Length,
                string.Create(CultureInfo.InvariantCulture, $"{count} bytes for {what}"), "the end of the data");
        var span = Data.AsSpan(Position, count);
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
