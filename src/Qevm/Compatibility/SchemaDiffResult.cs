namespace Qevm.Compatibility;

/// <summary>What <see cref="SchemaDiff.Compare"/> found: the findings, and what the sides gave nothing to compare.</summary>
/// <param name="Findings">Differences in section order (RAM blocks first, as QEMU loads them first), each with NEW's reaction.</param>
/// <param name="NotChecked">What could not be compared, and why.</param>
/// <param name="Sections">How many sections (descriptions) were compared.</param>
public sealed record SchemaDiffResult(IReadOnlyList<SchemaDiffFinding> Findings, IReadOnlyList<string> NotChecked, int Sections)
{
    /// <summary>True when NEW loads what OLD writes: no finding NEW refuses or reads wrongly.</summary>
    public bool Compatible => !Findings.Any(f => f.Reaction != QemuReaction.Accept);

    /// <summary>Findings NEW refuses.</summary>
    public int Refused => Findings.Count(f => f.Reaction == QemuReaction.Refuse);

    /// <summary>Findings NEW reads wrongly.</summary>
    public int ReadWrongly => Findings.Count(f => f.Reaction == QemuReaction.ReadWrongly);

    /// <summary>Findings NEW accepts.</summary>
    public int Accepted => Findings.Count(f => f.Reaction == QemuReaction.Accept);
}
