using System.Buffers.Binary;

namespace Qevm;

/// <summary>
/// Length of a FULL section's data from its description (§13.11), read through a peek function because the
/// section is not delimited yet: fields by size, structs recursively, nullptr markers, capability strings,
/// subsections by their 0x05 headers. A struct described as <c>{}</c> (7.2's NULL first element, §13.7)
/// counts its <c>size</c> per element.
/// </summary>
internal static class DescriptionWalker
{
    private const int MaxDepth = 64;

    /// <summary>The length the description gives, or null when the bytes do not follow it.</summary>
    public static long? TryMeasure(VmStateDescription description, Func<long, int, byte[]?> peek)
    {
        long pos = 0;
        return Walk(description, peek, ref pos, 0) ? pos : null;
    }

    private static bool Walk(VmStateDescription d, Func<long, int, byte[]?> peek, ref long pos, int depth)
    {
        if (depth > MaxDepth) return false;
        foreach (var f in d.Fields)
        {
            for (int k = 0; k < f.Count; k++)
            {
                switch (f.Type)
                {
                    case VmStateType.Struct when f.Struct is not null:
                        if (!Walk(f.Struct, peek, ref pos, depth + 1)) return false;
                        break;
                    case VmStateType.Nullptr:
                        if (peek(pos, 1) is not [0x30]) return false;
                        pos += 1;
                        break;
                    case VmStateType.Capability:
                        if (peek(pos, 1) is not [var len]) return false;
                        pos += 1 + len;
                        break;
                    default:
                        pos += f.Size;
                        break;
                }
            }
        }
        foreach (var s in d.Subsections)
        {
            var name = System.Text.Encoding.Latin1.GetBytes(s.Name);
            var head = peek(pos, 2 + name.Length + 4);
            if (head is null || head[0] != 0x05 || head[1] != name.Length || !head.AsSpan(2, name.Length).SequenceEqual(name)
                || BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(2 + name.Length)) != (uint)s.VersionId)
                return false;
            pos += head.Length;
            if (!Walk(s, peek, ref pos, depth + 1)) return false;
        }
        return true;
    }
}
