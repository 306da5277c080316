using System.Buffers.Binary;
using System.Globalization;

namespace Qevm.Iterative.StorageAttributes;

/// <summary><c>s390-storage_attributes</c>: CMMA attribute bytes per guest frame (§12.4, hw/s390x/s390-stattrib.c).</summary>
internal sealed class StorageAttributesHandler : IIterativeHandler
{
    private const ulong Eos = 0x01, More = 0x02, Error = 0x04, Done = 0x08;

    public void Read(VmStateReader r)
    {
        // be64 (gfn << 12) | flags; the loader switches on the exact flag value.
        var input = r.Input;
        long at = input.Position;
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(input.Peek(8));
        ulong flags = v & 0xFFF;
        switch (flags)
        {
            case Eos:
                r.SetItem(IterativeItemKind.StorageAttributesEos, 8, true, flags);
                return;
            case Done:
                r.SetItem(IterativeItemKind.StorageAttributesDone, 8, false, flags);
                return;
            case More:
                ulong count = BinaryPrimitives.ReadUInt64BigEndian(input.Peek(16)[8..]);
                if (count > (ulong)r.Options.MaxRecordLength - 16)
                    throw new VmStateFormatException(VmStateError.LimitExceeded, at + 8, "a storage attribute count within the reader's limit", count.ToString(CultureInfo.InvariantCulture));
                input.Peek(16 + (int)count);
                r.SetItem(IterativeItemKind.StorageAttributesMore, 16 + (long)count, false, flags, v >> 12, dataOffset: 16, dataLength: (int)count);
                return;
            case Error:
                throw new VmStateFormatException(VmStateError.BadIterativeData, at, "storage attributes", "the ERROR flag", "Storage attributes data is incomplete");
            default:
                throw new VmStateFormatException(VmStateError.BadIterativeData, at, "storage attribute flags EOS, MORE, DONE", VmStateReader.Hex(flags),
                    "Unexpected storage attribute flag data: 0x" + flags.ToString("x", CultureInfo.InvariantCulture));
        }
    }
}
