using System.Buffers.Binary;

namespace Qevm.Iterative.Htab;

/// <summary><c>spapr/htab</c>: the PPC hashed page table, a be32 header then chunks of HPTEs (§12.3, hw/ppc/spapr.c).</summary>
internal sealed class HtabHandler : IIterativeHandler
{
    private const int HpteSize = 16; // HASH_PTE_SIZE_64
    private bool _chunks;

    public void Begin(VmStateReader reader, SectionHeader section) => _chunks = false;

    public void Read(VmStateReader r)
    {
        // be32 header; 0 means chunks follow until an all-zero chunk header.
        var input = r.Input;
        if (!_chunks)
        {
            uint hdr = BinaryPrimitives.ReadUInt32BigEndian(input.Peek(4));
            _chunks = hdr == 0;
            r.SetItem(IterativeItemKind.HtabHeader, 4, hdr != 0, value: hdr);
            return;
        }
        var c = input.Peek(8);
        uint index = BinaryPrimitives.ReadUInt32BigEndian(c);
        int valid = BinaryPrimitives.ReadUInt16BigEndian(c[4..]);
        int invalid = BinaryPrimitives.ReadUInt16BigEndian(c[6..]);
        if (index == 0 && valid == 0 && invalid == 0)
        {
            r.SetItem(IterativeItemKind.HtabEnd, 8, true);
            return;
        }
        input.Peek(8 + valid * HpteSize);
        r.SetItem(IterativeItemKind.HtabChunk, 8 + valid * HpteSize, false, value: index, dataOffset: 8, dataLength: valid * HpteSize);
    }
}
