using System.Buffers.Binary;
using System.Text;

namespace Qevm.Tests.Wire;

/// <summary>Small helpers for crafting VM-state streams byte by byte (FORMAT.md §2 encodings).</summary>
internal static class WireBytes
{
    /// <summary>§3: magic "QEVM" + be32 version 3.</summary>
    public static byte[] Header =>
    [
        /* magic "QEVM" */ 0x51, 0x45, 0x56, 0x4D,
        /* version 3    */ 0x00, 0x00, 0x00, 0x03,
    ];

    public static byte[] Cat(params byte[][] parts)
    {
        var all = new List<byte>();
        foreach (var p in parts) all.AddRange(p);
        return [.. all];
    }

    public static byte[] Be16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, v);
        return b;
    }

    public static byte[] Be32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    public static byte[] Be64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        return b;
    }

    /// <summary>§2.3 counted string: u8 length + bytes.</summary>
    public static byte[] Str8(string s)
    {
        var b = Encoding.ASCII.GetBytes(s);
        return [(byte)b.Length, .. b];
    }

    /// <summary>§4.1 START/FULL header: type, be32 id, str8 idstr, be32 instance, be32 version.</summary>
    public static byte[] StartOrFull(byte type, uint id, string idstr, uint instance, uint version) =>
        Cat([type], Be32(id), Str8(idstr), Be32(instance), Be32(version));

    /// <summary>§4.1 PART/END header: type + be32 id.</summary>
    public static byte[] PartOrEnd(byte type, uint id) => Cat([type], Be32(id));

    /// <summary>§9.1 footer: 0x7E + be32 id.</summary>
    public static byte[] Footer(uint id) => Cat([0x7E], Be32(id));

    /// <summary>§10.1 command: 0x08, be16 cmd, be16 len, payload.</summary>
    public static byte[] Command(ushort cmd, params byte[] payload) => Cat([0x08], Be16(cmd), Be16((ushort)payload.Length), payload);

    /// <summary>Deterministic page-like bytes without 0x7E (so that no footer pattern appears by accident).</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            byte v = (byte)((i * 31 + seed * 7 + 1) & 0xFF);
            b[i] = v == 0x7E ? (byte)0x7D : v;
        }
        return b;
    }
}

/// <summary>One top-level record as the reader reported it, with the items of iterative sections.</summary>
internal sealed record WireRecord(
    RecordType Type, long RecordOffset, long PayloadOffset, long PayloadLength, SectionHeader? Section,
    ushort Command, int Depth, byte[] Payload, List<(IterativeItem Item, byte[] Data)> Items);

/// <summary>Reads crafted streams with <see cref="VmStateReader"/> and checks the writer round trip.</summary>
internal static class WireReader
{
    public static VmStateReader Open(byte[] data, VmStateReaderOptions? options = null) => new(new MemoryStream(data), options);

    /// <summary>Reads every record (and every item of iterative sections) of <paramref name="data"/>.</summary>
    public static List<WireRecord> ReadAll(VmStateReader r)
    {
        var list = new List<WireRecord>();
        while (r.Read())
        {
            bool iterative = r.RecordType is RecordType.SectionStart or RecordType.SectionPart or RecordType.SectionEnd;
            byte[] payload = iterative ? [] : r.Payload.ToArray();
            var rec = new WireRecord(r.RecordType, r.RecordOffset, r.PayloadOffset, r.PayloadLength, r.Section, r.Command, r.Depth,
                payload, []);
            if (iterative)
            {
                while (r.ReadItem())
                {
                    var item = r.Item;
                    byte[] data = item.Kind == IterativeItemKind.RamMappedRegion ? [] : r.ItemData.ToArray();
                    rec.Items.Add((item, data));
                }
            }
            list.Add(rec);
        }
        return list;
    }

    public static List<WireRecord> ReadAll(byte[] data, VmStateReaderOptions? options = null)
    {
        using var r = Open(data, options);
        return ReadAll(r);
    }

    /// <summary>Reads until the reader throws; fails the test when it does not.</summary>
    public static VmStateFormatException ReadExpectingError(byte[] data, VmStateReaderOptions? options = null)
    {
        using var r = Open(data, options);
        return Assert.Throws<VmStateFormatException>(() => ReadAll(r));
    }

    /// <summary>StreamCopier.Copy of <paramref name="data"/> gives the same bytes.</summary>
    public static void AssertCopyIdentical(byte[] data, VmStateReaderOptions? options = null)
    {
        using var input = new MemoryStream(data);
        using var output = new MemoryStream();
        StreamCopier.Copy(input, output, options);
        Assert.Equal(Convert.ToHexString(data), Convert.ToHexString(output.ToArray()));
    }

    /// <summary>Compares a section header field by field (the record's IdstrBytes array compares by reference).</summary>
    public static void AssertSection(uint id, string idstr, uint instance, uint version, SectionHeader? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(id, actual.SectionId);
        Assert.Equal(idstr, actual.Idstr);
        Assert.Equal(instance, actual.InstanceId);
        Assert.Equal(version, actual.VersionId);
        Assert.Equal(System.Text.Encoding.Latin1.GetBytes(idstr), actual.IdstrBytes);
    }

    /// <summary>The record types in order.</summary>
    public static RecordType[] Types(List<WireRecord> records) => [.. records.Select(x => x.Type)];
}


/// <summary>Appends fields of a crafted stream; <see cref="At"/> checks a hand-computed offset before a field.</summary>
internal sealed class StreamBuilder
{
    private readonly List<byte> _bytes = [];

    public int Offset => _bytes.Count;

    public StreamBuilder Add(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    /// <summary>Asserts that the next field starts at <paramref name="expected"/> (guards the offsets written in comments).</summary>
    public StreamBuilder At(int expected)
    {
        Assert.Equal(expected, _bytes.Count);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];
}
