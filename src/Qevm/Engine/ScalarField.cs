using System.Globalization;

namespace Qevm.Engine;

/// <summary>
/// A single integer, boolean, float or timer member. An <c>equal</c> field (<c>VMSTATE_UINT32_EQUAL</c> ...) is
/// written the same way, and on load must equal the local value (§6.1).
/// </summary>
internal sealed class ScalarField<T, TField>(string name, FieldAccessor<T, TField> member, string typeName, int versionId, Func<T, int, bool>? exists, bool equal = false)
    : BoundField<T>(name, versionId, exists) where T : class where TField : unmanaged
{
    public override VmStateField ToField() => new(Name, typeName, ScalarInfo<TField>.Size) { Binding = this, VersionId = Since, Exists = Test };

    public override ulong GetBits(object opaque, int index) => ScalarInfo<TField>.ToBits(member((T)opaque));

    public override void SetBits(object opaque, int index, ulong bits, long offset)
    {
        if (equal)
        {
            ulong local = ScalarInfo<TField>.ToBits(member((T)opaque));
            if (local != bits)
            {
                // get_uint32_equal and friends: "local != received", in hex.
                var message = string.Create(CultureInfo.InvariantCulture, $"{local:x} != {bits:x}");
                throw new VmStateFormatException(VmStateError.LoadRefused, offset, string.Create(CultureInfo.InvariantCulture, $"'{Name}' equal to the local 0x{local:x}"),
                    string.Create(CultureInfo.InvariantCulture, $"0x{bits:x}"), message);
            }
            return;
        }
        member((T)opaque) = ScalarInfo<TField>.FromBits(bits);
    }
}
