namespace Qevm.Streams;

/// <summary>
/// Records of a VM-state stream. Values are the wire bytes (savevm.h: QEMU_VM_*), except
/// <see cref="FileHeader"/>, which has no type byte.
/// </summary>
public enum RecordType
{
    /// <summary>The 8-byte file header (magic, version); no type byte.</summary>
    FileHeader = -1,
    /// <summary><c>QEMU_VM_EOF</c>.</summary>
    Eof = 0x00,
    /// <summary><c>QEMU_VM_SECTION_START</c>: first section of an iterative handler.</summary>
    SectionStart = 0x01,
    /// <summary><c>QEMU_VM_SECTION_PART</c>.</summary>
    SectionPart = 0x02,
    /// <summary><c>QEMU_VM_SECTION_END</c>.</summary>
    SectionEnd = 0x03,
    /// <summary><c>QEMU_VM_SECTION_FULL</c>: a device's whole state.</summary>
    SectionFull = 0x04,
    /// <summary><c>QEMU_VM_SUBSECTION</c> (inside section data only).</summary>
    Subsection = 0x05,
    /// <summary><c>QEMU_VM_VMDESCRIPTION</c>: the JSON trailer after EOF.</summary>
    VmDescription = 0x06,
    /// <summary><c>QEMU_VM_CONFIGURATION</c>.</summary>
    Configuration = 0x07,
    /// <summary><c>QEMU_VM_COMMAND</c>.</summary>
    Command = 0x08,
    /// <summary><c>QEMU_VM_SECTION_FOOTER</c>: 0x7E + be32 section id.</summary>
    SectionFooter = 0x7E,
}
