using System.Buffers;
using System.Globalization;

namespace Qevm.Engine;

/// <summary>
/// A single integer, boolean, float or timer member. An <c>equal</c> field (<c>VMSTATE_UINT32_EQUAL</c> ...) is
/// written the same way, and on load must equal the local value (§6.1).
/// </summary>
internal sealed class ScalarField<T, TField>(string name, FieldAccessor<T, TField> member, string typeName, int versionId, Func<T, int, bool>? exists, bool equal = false)
    : BoundField<T>(name, versionId, exists) where T : class where TField : unmanaged
{
    public override string TypeName => typeName;

    public override int Count(T state) => 1;

    public override void SaveElement(T state, int index, ArrayBufferWriter<byte> output, QemuJsonWriter? json) =>
        ScalarInfo<TField>.Write(member(state), output);

    public override void LoadElement(T state, int index, LoadInput input)
    {
        long at = input.Position;
        ulong bits = input.ReadBits(ScalarInfo<TField>.Size, "'" + Name + "'");
        if (equal)
        {
            ulong local = ScalarInfo<TField>.ToBits(member(state));
            if (local != bits)
            {
                // get_uint32_equal and friends: "local != received", in hex.
                var message = string.Create(CultureInfo.InvariantCulture, $"{local:x} != {bits:x}");
                throw new VmStateFormatException(VmStateError.LoadRefused, at, string.Create(CultureInfo.InvariantCulture, $"'{Name}' equal to the local 0x{local:x}"),
                    string.Create(CultureInfo.InvariantCulture, $"0x{bits:x}"), message);
            }
            return;
        }
        member(state) = ScalarInfo<TField>.FromBits(bits);
    }
}
