namespace Qevm.Errors;

/// <summary>A finding QEMU accepts (a warning), with the offset it concerns.</summary>
/// <param name="Offset">Absolute offset in the stream.</param>
/// <param name="Message">The warning, in QEMU's words where QEMU prints one.</param>
public sealed record Diagnostic(long Offset, string Message)
{
    /// <summary>What the warning is about.</summary>
    public DiagnosticKind Kind { get; init; }
}
