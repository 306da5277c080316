namespace Qevm.Errors;

/// <summary>A finding that does not make the stream invalid (QEMU loads it), e.g. a missing trailer.</summary>
/// <param name="Offset">Absolute offset the finding is about.</param>
/// <param name="Message">What was noticed, in QEMU's words where QEMU prints a warning.</param>
public sealed record Diagnostic(long Offset, string Message);
