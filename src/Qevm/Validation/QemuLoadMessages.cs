using System.Globalization;

namespace Qevm.Validation;

/// <summary>
/// What a destination QEMU's loader prints when it refuses a stream (migration/savevm.c, ram.c; FORMAT.md §17), in
/// the words of QEMU up to 10.0: the predictions of <c>check --target</c> (<see cref="TargetCheck"/>) and
/// <c>schema diff</c> share them.
/// </summary>
internal static class QemuLoadMessages
{
    /// <summary>The advice after an unknown section, in every version.</summary>
    public const string SetupAdvice = "Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices";

    /// <summary>find_se found no handler for the section.</summary>
    public static string UnknownSection(string idstr, uint instance) =>
        string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section or instance '{idstr}' {instance}. {SetupAdvice}");

    /// <summary>The section's version is above the handler's.</summary>
    public static string UnsupportedVersion(long version, string idstr, long local) =>
        string.Create(CultureInfo.InvariantCulture, $"savevm: unsupported version {version} for '{idstr}' v{local}");

    /// <summary>vmstate_load_state: the version is below the description's minimum (QEMU's two spaces before the number).</summary>
    public static string TooOld(string description, long version, long minimum) =>
        string.Create(CultureInfo.InvariantCulture, $"{description}: incoming version_id {version} is too old for local minimum version_id  {minimum}");

    /// <summary>configuration_post_load: the stream's machine type is not the destination's.</summary>
    public static string MachineMismatch(string received, string local) => $"Machine type received is '{received}' and local is '{local}'";

    /// <summary>ram_load: the destination has no RAM block of that name.</summary>
    public static string UnknownRamBlock(string name) => $"Unknown ramblock \"{name}\", cannot accept migration";

    /// <summary>ram_load: a RAM block of a fixed size that differs.</summary>
    public static string SizeMismatch(string name, ulong incoming, ulong local) =>
        string.Create(CultureInfo.InvariantCulture, $"Size mismatch: {name}: 0x{incoming:x} != 0x{local:x}: Invalid argument");
}
