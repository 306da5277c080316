using System.Text;
using Qevm.Guest;

namespace Qevm.Tests.Guest;

/// <summary><c>--layout FILE</c>: a malformed layout is named by the JSON path of its first bad value (JsonCursor), never a stack trace.</summary>
public sealed class LayoutFileTests
{
    [Theory]
    [InlineData("""[{"address": -1}]""", "$[0].address: expected an unsigned 64-bit integer, found -1")]
    [InlineData("""[{"address": 0, "length": 4096}]""", "$[0].block: missing")]
    [InlineData("""{"ranges": [{"address": 0, "block": "pc.ram", "length": 4096}, {"address": 1, "block": "pc.ram", "offset": "x", "length": 1}]}""", "$.ranges[1].offset: expected an unsigned 64-bit integer, found a string")]
    [InlineData("""[{"address": 0""", "$: expected a layout: memory map --json's document or an array of ranges, found no valid JSON")]
    [InlineData("""[3]""", "$[0]: expected an object, found 3")]
    public void MalformedRange_IsNamed(string json, string message)
    {
        var e = Assert.Throws<VmStateFormatException>(() => GuestPhysicalLayout.ParseRanges(new MemoryStream(Encoding.UTF8.GetBytes(json))));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ranges_AreRead_WithOffsetDefaultingToZero()
    {
        var ranges = GuestPhysicalLayout.ParseRanges(new MemoryStream("""[{"address": 4294967296, "block": "d1", "length": 67108864}]"""u8.ToArray()));
        Assert.Equal([new GuestRange(0x100000000, "d1", 0, 0x4000000)], ranges);
    }
}
