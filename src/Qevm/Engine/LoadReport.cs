namespace Qevm.Engine;

/// <summary>What a successful load did.</summary>
public sealed class LoadReport
{
    /// <summary>Entries whose section was loaded, in stream order.</summary>
    public IReadOnlyList<SaveStateEntry> Loaded => LoadedList;

    /// <summary>Sections skipped because no device matches (only with <see cref="LoadOptions.SkipUnknownSections"/>).</summary>
    public IReadOnlyList<SectionHeader> Skipped => SkippedList;

    /// <summary>Warnings QEMU also prints without failing (e.g. "Expected vmdescription section, but got 0").</summary>
    public IReadOnlyList<Diagnostic> Warnings => WarningsList;

    internal List<SaveStateEntry> LoadedList { get; } = [];

    internal List<SectionHeader> SkippedList { get; } = [];

    internal List<Diagnostic> WarningsList { get; } = [];
}
