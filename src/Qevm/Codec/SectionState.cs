namespace Qevm.Codec;

/// <summary>A FULL section with its data and, when a description fits, its decoded value tree.</summary>
public sealed class SectionState
{
    /// <summary>The section header.</summary>
    public required SectionHeader Header { get; init; }

    /// <summary>Offset of the record's type byte.</summary>
    public long RecordOffset { get; init; }

    /// <summary>Offset of the section data.</summary>
    public long PayloadOffset { get; init; }

    /// <summary>The section data (footer excluded).</summary>
    public required byte[] Payload { get; init; }

    /// <summary>The decoded data, or null when no description fits (then the data stays raw bytes).</summary>
    public VmStruct? Root { get; internal set; }

    /// <summary>True when the layout was inferred (<c>-dump-vmstate</c>): the field types are guesses from their sizes.</summary>
    public bool Inferred => Root?.Description.Origin == SchemaOrigin.DumpVmState;

    /// <summary>The schema source that decoded it.</summary>
    public string? Source { get; internal set; }

    /// <summary>Why descriptions were not used: one line per source that did not fit.</summary>
    public IReadOnlyList<string> Problems => _problems;

    private readonly List<string> _problems = [];

    /// <summary>The section's path: <c>IDSTR#INSTANCE</c>.</summary>
    public string Path => Header.Idstr + "#" + Header.InstanceId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // A -dump-vmstate layout has no element counts and unknown field_exists outcomes: each assignment of the
    // outcomes the decode meets is tried (each distinct layout once), and a layout is kept only when it uses the
    // footer-delimited bytes exactly. (Widening one field into an array to take the bytes left over was tried and
    // rejected: checked against the trailers of the corpus it picks the wrong field, e.g. in hpet and pl190.)
    private void InferredFits(VmStateDescription d, List<VmStruct> exact) => Explore(d, 0, 0, exact);

    private void Explore(VmStateDescription d, int assumed, int fixedBits, List<VmStruct> exact)
    {
        var context = new DecodeContext { Assumed = assumed };
        try
        {
            var root = VmStateCodec.Decode(d, Payload, PayloadOffset, (int)Header.VersionId, context, out int consumed);
            if (consumed == Payload.Length) exact.Add(root);
        }
        catch (VmStateFormatException)
        {
        }
        // Outcomes after the first `fixedBits` were assumed absent; try each of them present in turn.
        for (int bit = fixedBits; bit < context.Consulted; bit++) Explore(d, assumed | 1 << bit, bit + 1, exact);
    }

    /// <summary>Decodes with the first source whose description fits the bytes; records why the others did not.</summary>
    public void Decode(IEnumerable<ISchemaSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        foreach (var source in sources)
        {
            string? problem = null;
            var exact = new List<VmStruct>();
            foreach (var d in source.Describe(Header))
            {
                if (d.Origin == SchemaOrigin.DumpVmState)
                {
                    InferredFits(d, exact);
                    continue;
                }
                try
                {
                    Root = VmStateCodec.Decode(d, Payload, PayloadOffset, (int)Header.VersionId);
                    Source = source.SourceName;
                    return;
                }
                catch (VmStateFormatException e)
                {
                    problem ??= source.SourceName + ": " + e.Message;
                }
            }
            // Inferred layouts: keep one only when it is the only one that uses the bytes exactly.
            int fits = exact.Count;
            if (fits == 1)
            {
                Root = exact[0];
                Source = source.SourceName;
                return;
            }
            if (fits > 1) problem = source.SourceName + string.Create(System.Globalization.CultureInfo.InvariantCulture, $": {fits} inferred layouts fit the bytes; none is taken as fact");
            else if (problem is null && source is DumpVmStateSchema) problem = source.SourceName + ": no layout its fields allow fits the bytes";
            if (problem is not null) _problems.Add(problem);
        }
    }
}
