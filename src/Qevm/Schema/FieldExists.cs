namespace Qevm.Schema;

/// <summary>
/// A field's <c>field_exists</c> test (§5.3 rule 4). When a field has one it alone decides whether the field is on the
/// wire; otherwise the field's <c>version_id</c> does.
/// </summary>
public abstract record FieldExists
{
    private protected FieldExists()
    {
    }

    /// <summary>A test whose outcome is not known (<c>-dump-vmstate</c> says only <c>"field_exists": true</c>): a decoder tries both.</summary>
    public static FieldExists Unknown { get; } = new UnknownTest();

    /// <summary>A test over the state being saved or loaded (QEMU's <c>opaque</c>) and the version.</summary>
    public static FieldExists When(Func<object, int, bool> test) => new Predicate(test);

    /// <summary><c>field_exists(opaque, version_id)</c>.</summary>
    /// <param name="Test">The test; it sees the state as loaded so far.</param>
    public sealed record Predicate(Func<object, int, bool> Test) : FieldExists;

    /// <summary>An unknown test.</summary>
    public sealed record UnknownTest : FieldExists;
}
