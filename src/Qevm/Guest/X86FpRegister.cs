namespace Qevm.Guest;

/// <summary>An x87 register (80-bit extended precision) as QEMU migrates it: the 64-bit mantissa and the 16-bit sign and exponent.</summary>
public readonly record struct X86FpRegister(ulong Mantissa, ushort Exponent);
