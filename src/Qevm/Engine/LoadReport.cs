namespace Qevm.Engine;

/// <summary>What a successful load did.</summary>
public sealed class LoadReport
{
    /// <summary>Entries whose section was loaded, in stream order.</summary>
    public List<SaveStateEntry> Loaded { get; } = [];

    /// <summary>Sections skipped because no device matches (only with <see cref="LoadOptions.SkipUnknownSections"/>).</summary>
    public List<SectionHeader> Skipped { get; } = [];

    /// <summary>Warnings QEMU also prints without failing (e.g. "Expected vmdescription section, but got 0").</summary>
    public List<Diagnostic> Warnings { get; } = [];
}
