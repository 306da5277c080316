namespace Qevm.Compatibility;

/// <summary>One difference between OLD's and NEW's descriptions, and what NEW does with a stream of OLD.</summary>
/// <param name="Section">The section: its description name, or <c>idstr #instance</c> with <c>--stream</c>; a RAM block's name.</param>
/// <param name="Path">Where in the section: the field path, or <c>subsection NAME</c>; null for the section itself.</param>
/// <param name="Change">What differs.</param>
/// <param name="Reaction">What NEW's QEMU does.</param>
/// <param name="Detail">The difference in words (sizes, versions, names on each side).</param>
/// <param name="QemuMessage">The message NEW's QEMU prints, when it refuses with one of its own.</param>
/// <param name="Condition">When it applies, if not always (e.g. only when OLD's <c>needed</c> test sends the subsection).</param>
public sealed record SchemaDiffFinding(string Section, string? Path, SchemaChange Change, QemuReaction Reaction, string Detail,
    string? QemuMessage = null, string? Condition = null);
