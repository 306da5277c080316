using System.Buffers.Binary;

namespace Qevm.Tests.Guest;

/// <summary>The parts of a 64-bit little-endian ELF core the tests compare: header fields and program headers.</summary>
internal sealed record ElfCoreFile(byte[] Header, List<ElfProgramHeader> ProgramHeaders)
{
    public ushort Machine => BinaryPrimitives.ReadUInt16LittleEndian(Header.AsSpan(18));

    public static ElfCoreFile Read(Stream s)
    {
        var header = new byte[64];
        s.ReadExactly(header);
        Assert.Equal([0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1], header[..6]);
        long phoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
        var ph = new byte[56 * phnum];
        s.Position = phoff;
        s.ReadExactly(ph);
        var list = new List<ElfProgramHeader>();
        for (int i = 0; i < phnum; i++)
        {
            var p = ph.AsSpan(56 * i);
            list.Add(new ElfProgramHeader(
                BinaryPrimitives.ReadUInt32LittleEndian(p),
                BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[32..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[40..]),
                ph.AsSpan(56 * i, 56).ToArray()));
        }
        return new ElfCoreFile(header, list);
    }

    public static ElfCoreFile Read(string path)
    {
        using var f = File.OpenRead(path);
        return Read(f);
    }
}

/// <summary>One program header: type, p_offset, p_paddr, p_filesz, p_memsz and its 56 bytes.</summary>
internal sealed record ElfProgramHeader(uint Type, ulong Offset, ulong PhysicalAddress, ulong FileSize, ulong MemorySize, byte[] Bytes)
{
    public const uint Load = 1, Note = 4;
}
