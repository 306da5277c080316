namespace Qevm.Edit;

/// <summary>A value that differs between two streams: its path and the values as <c>set</c> accepts them (null: absent).</summary>
/// <param name="Path">The field's path.</param>
/// <param name="A">The value in the first stream.</param>
/// <param name="B">The value in the second stream.</param>
public sealed record FieldDifference(string Path, string? A, string? B);
