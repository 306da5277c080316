namespace Qevm.Validation;

/// <summary>A section a target QEMU has: its idstr, instance id and the version it writes (and loads up to).</summary>
/// <param name="Idstr">The section's idstr, e.g. <c>mc146818rtc</c> or <c>0000:00:02.0/vga</c>.</param>
/// <param name="Instance">The instance id.</param>
/// <param name="Version">The section's version in that QEMU.</param>
public sealed record TargetSection(string Idstr, uint Instance, uint Version);
