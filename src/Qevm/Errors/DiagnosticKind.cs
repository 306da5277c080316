namespace Qevm.Errors;

/// <summary>What a <see cref="Diagnostic"/> is about.</summary>
public enum DiagnosticKind
{
    /// <summary>Anything else.</summary>
    Other,
    /// <summary>No trailer after EOF (QEMU: <c>Expected vmdescription section, but got %d</c>).</summary>
    NoTrailer,
    /// <summary>Bytes after the trailer, which QEMU ignores.</summary>
    AfterTrailer,
    /// <summary>The RAM page size was inferred or assumed, not read from the stream.</summary>
    PageSizeGuessed,
}
