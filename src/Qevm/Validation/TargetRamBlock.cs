namespace Qevm.Validation;

/// <summary>A RAM block a target QEMU has, as its migration streams list it (the <c>MEM_SIZE</c> block list).</summary>
/// <param name="Name">The block's idstr, e.g. <c>pc.ram</c>, <c>0000:00:03.0/e1000.rom</c>.</param>
/// <param name="Size">Its used length in bytes, as recorded (for <see cref="RamBlockSizing.Memory"/>, with 128 MiB of RAM).</param>
/// <param name="Sizing">Whether another size is refused.</param>
public sealed record TargetRamBlock(string Name, ulong Size, RamBlockSizing Sizing)
{
    /// <summary>How QEMU sizes a block of this name: <c>/rom@…</c> blocks (fw_cfg files, ACPI tables) are resizeable.</summary>
    public static RamBlockSizing SizingOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith("/rom@", StringComparison.Ordinal) ? RamBlockSizing.Resizeable : RamBlockSizing.Fixed;
    }

    /// <summary>The word the version database and <c>schema list --json</c> use for <paramref name="sizing"/>: <c>memory</c>, <c>resizeable</c>, <c>fixed</c>.</summary>
    public static string SizingName(RamBlockSizing sizing) =>
        sizing switch { RamBlockSizing.Memory => "memory", RamBlockSizing.Resizeable => "resizeable", _ => "fixed" };

    // The reverse of SizingName (anything else is fixed).
    internal static RamBlockSizing SizingFromName(string? name) =>
        name switch { "memory" => RamBlockSizing.Memory, "resizeable" => RamBlockSizing.Resizeable, _ => RamBlockSizing.Fixed };
}
