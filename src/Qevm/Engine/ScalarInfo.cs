using System.Runtime.CompilerServices;

namespace Qevm.Engine;

/// <summary>
/// The VMStateInfo of a C# scalar type, as Rust's <c>vmstate_of!</c> picks it from the field's type: size on the
/// wire, QEMU's type name, and the big-endian bits (§6.1).
/// </summary>
internal static class ScalarInfo<TField> where TField : unmanaged
{
    public static readonly string? TypeName =
        typeof(TField) == typeof(byte) ? "uint8" :
        typeof(TField) == typeof(sbyte) ? "int8" :
        typeof(TField) == typeof(ushort) ? "uint16" :
        typeof(TField) == typeof(short) ? "int16" :
        typeof(TField) == typeof(uint) ? "uint32" :
        typeof(TField) == typeof(int) ? "int32" :
        typeof(TField) == typeof(ulong) ? "uint64" :
        typeof(TField) == typeof(long) ? "int64" :
        typeof(TField) == typeof(bool) ? "bool" :
        typeof(TField) == typeof(double) ? "float64" :
        null;

    public static int Size => Unsafe.SizeOf<TField>();

    public static string Require() =>
        TypeName ?? throw new ArgumentException($"{typeof(TField).Name} is not a VMState scalar type (byte, sbyte, ushort, short, uint, int, ulong, long, bool, double)");

    public static ulong ToBits(TField value) => Size switch
    {
        1 => Unsafe.As<TField, byte>(ref value),
        2 => Unsafe.As<TField, ushort>(ref value),
        4 => Unsafe.As<TField, uint>(ref value),
        _ => Unsafe.As<TField, ulong>(ref value),
    };

    public static TField FromBits(ulong bits)
    {
        if (typeof(TField) == typeof(bool))
        {
            bool b = bits != 0; // bool: any non-zero byte is true (§6.1)
            return Unsafe.As<bool, TField>(ref b);
        }
        switch (Size)
        {
            case 1: { byte v = (byte)bits; return Unsafe.As<byte, TField>(ref v); }
            case 2: { ushort v = (ushort)bits; return Unsafe.As<ushort, TField>(ref v); }
            case 4: { uint v = (uint)bits; return Unsafe.As<uint, TField>(ref v); }
            default: return Unsafe.As<ulong, TField>(ref bits);
        }
    }
}
