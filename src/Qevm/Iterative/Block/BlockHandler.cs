using System.Buffers.Binary;
using System.Globalization;

namespace Qevm.Iterative.Block;

/// <summary>(7.2) <c>block</c>: block migration's chunks, progress and end records (§12.1, migration/block.c).</summary>
internal sealed class BlockHandler : IIterativeHandler
{
    private const ulong DeviceBlock = 0x01, Eos = 0x02, Progress = 0x04, ZeroBlock = 0x08;
    private const int ChunkSize = 0x100000; // BLK_MIG_BLOCK_SIZE: always whole, even for a device's last chunk

    public void Read(VmStateReader r)
    {
        // be64 (sector << 9) | flags; for PROGRESS the upper bits are a percentage.
        var input = r.Input;
        long at = input.Position;
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(input.Peek(8));
        ulong flags = v & 0x1FF;
        bool eos = (flags & Eos) != 0;
        if ((flags & DeviceBlock) != 0)
        {
            int n = input.Peek(9)[8];
            long len = 9 + n + ((flags & ZeroBlock) != 0 ? 0 : ChunkSize);
            input.Peek((int)len);
            r.SetItem(IterativeItemKind.BlockChunk, len, eos, flags, v >> 9, dataOffset: 9 + n, dataLength: (int)len - 9 - n);
        }
        else if ((flags & Progress) != 0)
        {
            r.SetItem(IterativeItemKind.BlockProgress, 8, eos, flags, v >> 9);
        }
        else if (eos)
        {
            r.SetItem(IterativeItemKind.BlockEos, 8, true, flags);
        }
        else
        {
            throw new VmStateFormatException(VmStateError.BadIterativeData, at, "block migration flags DEVICE_BLOCK, PROGRESS or EOS", VmStateReader.Hex(flags),
                "Unknown block migration flags: 0x" + flags.ToString("x", CultureInfo.InvariantCulture));
        }
    }
}
