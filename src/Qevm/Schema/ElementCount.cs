using System.Globalization;

namespace Qevm.Schema;

/// <summary>
/// How many elements a field has (QEMU's <c>num</c> / <c>num_offset</c>): a fixed number (<c>VMSTATE_*_ARRAY</c>, or
/// the count a trailer gives), or the value of another field of the same description read before it
/// (<c>VMSTATE_VARRAY_*</c>, §7.1), possibly multiplied (<c>VMS_MULTIPLY_ELEMENTS</c>). The engine may also count
/// from its state (QEMU reads every count from the <c>opaque</c>; a count that is not itself migrated is such a one).
/// </summary>
public readonly record struct ElementCount
{
    private readonly int _fixed;

    private ElementCount(int value, string? field, int multiply, Func<object, int>? fromState)
    {
        _fixed = value;
        Field = field;
        Multiply = multiply;
        FromState = fromState;
    }

    /// <summary>A fixed count.</summary>
    public static ElementCount Fixed(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return new(count, null, 1, null);
    }

    /// <summary>The value of the field <paramref name="field"/> (read earlier in the same description), times <paramref name="multiply"/>.</summary>
    public static ElementCount FromField(string field, int multiply = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(multiply);
        return new(0, field, multiply, null);
    }

    /// <summary>A count the engine reads from the state being saved or loaded.</summary>
    internal static ElementCount FromOpaque(Func<object, int> count) => new(0, null, 1, count);

    /// <summary>A fixed count, from an <see cref="int"/>.</summary>
    public static implicit operator ElementCount(int count) => Fixed(count);

    /// <summary>True for a fixed count (<see cref="Value"/>).</summary>
    public bool IsFixed => Field is null && FromState is null;

    /// <summary>The fixed count (0 when the count is variable).</summary>
    public int Value => IsFixed ? _fixed : 0;

    /// <summary>The field that holds the count, for a <c>VARRAY</c>.</summary>
    public string? Field { get; }

    /// <summary>The factor applied to the field's value.</summary>
    public int Multiply { get; }

    internal Func<object, int>? FromState { get; }

    /// <summary>Same as <see cref="Fixed(int)"/>.</summary>
    public static ElementCount FromInt32(int count) => Fixed(count);

    /// <inheritdoc/>
    public override string ToString() =>
        IsFixed ? _fixed.ToString(CultureInfo.InvariantCulture)
        : Field is not null ? (Multiply == 1 ? Field : string.Create(CultureInfo.InvariantCulture, $"{Field}*{Multiply}"))
        : "(from the state)";
}
