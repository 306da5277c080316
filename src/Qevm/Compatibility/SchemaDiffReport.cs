namespace Qevm.Compatibility;

/// <summary>A schema diff as <c>qevm schema diff --json</c> writes it.</summary>
/// <param name="Old">OLD: the file or database entry.</param>
/// <param name="OldKind">What OLD is (<see cref="SchemaSide.Kind"/>).</param>
/// <param name="New">NEW: the file or database entry.</param>
/// <param name="NewKind">What NEW is.</param>
/// <param name="Stream">The stream the diff is limited to, when given.</param>
/// <param name="Compatible">True when no finding is refused or read wrongly.</param>
/// <param name="Sections">Sections (descriptions) compared.</param>
/// <param name="Refuse">Findings NEW refuses.</param>
/// <param name="ReadWrongly">Findings NEW reads wrongly.</param>
/// <param name="Accept">Findings NEW accepts.</param>
/// <param name="Findings">The findings.</param>
/// <param name="NotChecked">What could not be compared, and why.</param>
public sealed record SchemaDiffReport(string Old, string OldKind, string New, string NewKind, string? Stream, bool Compatible, int Sections,
    int Refuse, int ReadWrongly, int Accept, IReadOnlyList<SchemaDiffFinding> Findings, IReadOnlyList<string> NotChecked)
{
    /// <summary>The report of <paramref name="result"/>.</summary>
    public static SchemaDiffReport From(SchemaSide old, SchemaSide @new, SchemaSide? stream, SchemaDiffResult result)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(@new);
        ArgumentNullException.ThrowIfNull(result);
        return new SchemaDiffReport(old.Name, old.Kind, @new.Name, @new.Kind, stream?.Name, result.Compatible, result.Sections,
            result.Refused, result.ReadWrongly, result.Accepted, result.Findings, result.NotChecked);
    }
}
