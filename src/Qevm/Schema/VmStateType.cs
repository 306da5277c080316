namespace Qevm.Schema;

/// <summary>How a field's elements are encoded: the VMStateInfo of QEMU, by the name the trailer gives (§6).</summary>
public enum VmStateType
{
    /// <summary>A type Qevm does not decode (device-specific: <c>pci config</c>, <c>virtio</c>, ...): raw bytes of the field's size.</summary>
    Opaque,
    /// <summary><c>bool</c>: one byte, non-zero is true.</summary>
    Bool,
    /// <summary>Signed big-endian integer (<c>int8</c>...<c>int64</c>, <c>int32 equal</c>, <c>int32 le</c>).</summary>
    Int,
    /// <summary>Unsigned big-endian integer (<c>uint8</c>...<c>uint64</c>, the <c>equal</c> variants, <c>timer</c>).</summary>
    UInt,
    /// <summary><c>CPU_Double_U</c> and <c>float64</c>: an IEEE-754 double as be64.</summary>
    Float64,
    /// <summary><c>buffer</c>, <c>bitmap</c>: raw bytes.</summary>
    Buffer,
    /// <summary><c>unused_buffer</c>: bytes written as zero, ignored on load.</summary>
    UnusedBuffer,
    /// <summary><c>nullptr</c>: the byte 0x30 standing for a NULL element.</summary>
    Nullptr,
    /// <summary><c>capability</c>: a counted string.</summary>
    Capability,
    /// <summary><c>struct</c>: a nested description.</summary>
    Struct,
    /// <summary><c>vstruct</c>: a nested description with its own version.</summary>
    VStruct,
    /// <summary><c>tmp</c>: a nested description encoded from a temporary.</summary>
    Tmp,
}

/// <summary>Maps QEMU's type names to <see cref="VmStateType"/> and signedness.</summary>
public static class VmStateTypes
{
    /// <summary>The codec for a trailer <c>"type"</c> name.</summary>
    public static VmStateType FromName(string name) => name switch
    {
        "bool" => VmStateType.Bool,
        "int8" or "int16" or "int32" or "int64" or "int32 equal" or "int32 le" => VmStateType.Int,
        "uint8" or "uint16" or "uint32" or "uint64" or "uint8 equal" or "uint16 equal" or "uint32 equal" or "int64 equal" or "timer" => VmStateType.UInt,
        "CPU_Double_U" or "float64" => VmStateType.Float64,
        "buffer" or "bitmap" => VmStateType.Buffer,
        "unused_buffer" => VmStateType.UnusedBuffer,
        "nullptr" => VmStateType.Nullptr,
        "capability" => VmStateType.Capability,
        "struct" => VmStateType.Struct,
        "vstruct" => VmStateType.VStruct,
        "tmp" => VmStateType.Tmp,
        _ => VmStateType.Opaque,
    };
}
