namespace Qevm.Validation;

/// <summary>What <see cref="TargetCheck"/> found, and what the target gave nothing to check against.</summary>
/// <param name="Findings">Reasons the target QEMU would refuse the stream, in stream order.</param>
/// <param name="NotChecked">What could not be checked, and why (e.g. the machine type, when the target names none).</param>
public sealed record TargetVerdict(IReadOnlyList<TargetFinding> Findings, IReadOnlyList<string> NotChecked);
