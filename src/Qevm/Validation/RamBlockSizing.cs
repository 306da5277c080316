namespace Qevm.Validation;

/// <summary>How a target's RAM block gets its size, which decides whether another size in a stream is refused.</summary>
public enum RamBlockSizing
{
    /// <summary>A fixed size (a firmware or video ROM, VGA memory): QEMU refuses another ("Size mismatch").</summary>
    Fixed,

    /// <summary>Guest RAM (<c>pc.ram</c>, <c>mach-virt.ram</c>): its size is the destination's <c>-m</c>, which the target does not tell.</summary>
    Memory,

    /// <summary>
    /// A resizeable block (<c>/rom@…</c>, ACPI tables and fw_cfg files): QEMU takes the incoming size up to the block's
    /// maximum, which the target does not tell.
    /// </summary>
    Resizeable,
}
