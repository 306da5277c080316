using System.Buffers.Binary;
using Qevm.Guest;

namespace Qevm.Tests.Guest;

/// <summary>
/// The ELF core's header for a synthetic layout: at 65,535 program headers and more, e_phnum is PN_XNUM (0xFFFF) and
/// section 0's sh_info holds the count, as QEMU's dump.c writes it; below, section 0 stays all zero.
/// </summary>
public sealed class ElfCoreHeaderTests
{
    private static List<GuestRange> Ranges(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new GuestRange((ulong)i * 0x2000, "pc.ram", (ulong)i * 0x1000, 0x1000))];

    [Theory]
    [InlineData(70_000, 0xFFFF, 70_001u)]
    [InlineData(65_534, 0xFFFF, 65_535u)] // 65,535 headers is PN_XNUM itself: QEMU's test is phdr_num >= PN_XNUM
    [InlineData(65_533, 65_534, 0u)]
    [InlineData(3, 4, 0u)]
    public void ProgramHeaderCount_UsesPnXnumFromFfff(int ranges, int ePhnum, uint shInfo)
    {
        byte[] notes = new byte[20];
        var head = ElfCoreWriter.Head(Ranges(ranges), notes, 62, out var offsets, out long sectionOffset);
        var h = head.AsSpan();
        Assert.Equal(ePhnum, BinaryPrimitives.ReadUInt16LittleEndian(h[56..]));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(h[60..])); // e_shnum: null and .shstrtab
        Assert.Equal(64UL, BinaryPrimitives.ReadUInt64LittleEndian(h[40..])); // e_shoff
        Assert.Equal(shInfo, BinaryPrimitives.ReadUInt32LittleEndian(h[(64 + 44)..]));
        Assert.True(h.Slice(64, 44).IndexOfAnyExcept((byte)0) < 0 && h.Slice(64 + 48, 16).IndexOfAnyExcept((byte)0) < 0, "section 0 is zero but sh_info");

        // The program headers are all there: e_phoff after the two section headers, the last PT_LOAD's address.
        long phoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(h[32..]);
        Assert.Equal(64 + 2 * 64, phoff);
        var last = h[(int)(phoff + 56L * ranges)..];
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(last));
        Assert.Equal((ulong)(ranges - 1) * 0x2000, BinaryPrimitives.ReadUInt64LittleEndian(last[16..]));
        long noteOffset = phoff + 56L * (ranges + 1);
        Assert.Equal(noteOffset + notes.Length, head.Length);
        Assert.Equal(head.Length, offsets[0]);
        Assert.Equal(head.Length + 0x1000L * ranges, sectionOffset);
    }
}
