namespace Qevm.Codec;

/// <summary>
/// What a decode runs against: the engine's state being loaded (QEMU's <c>opaque</c>), or none; and the outcomes
/// of <c>field_exists</c> tests that cannot be run, taken in order from <see cref="Assumed"/> (unset bits: absent).
/// </summary>
internal sealed class DecodeContext
{
    /// <summary>Most unknown tests one decode may take; more give no layout.</summary>
    public const int MaxUnknown = 8;

    public object? Opaque { get; set; }

    /// <summary>Outcomes of the unknown tests, bit i for the i-th one met.</summary>
    public int Assumed { get; init; }

    /// <summary>How many unknown tests this decode met.</summary>
    public int Consulted { get; private set; }

    public bool Decide()
    {
        if (Consulted >= MaxUnknown)
            throw new VmStateFormatException(VmStateError.DescriptionMismatch, 0, "at most 8 fields whose presence is unknown", "more");
        return (Assumed >> Consulted++ & 1) != 0;
    }
}
