namespace Qevm;

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

    /// <summary>The schema source that decoded it.</summary>
    public string? Source { get; internal set; }

    /// <summary>Why descriptions were not used: one line per source that did not fit.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>The section's path: <c>IDSTR#INSTANCE</c>.</summary>
    public string Path => Header.Idstr + "#" + Header.InstanceId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Decodes with the first source whose description fits the bytes; records why the others did not.</summary>
    public void Decode(IEnumerable<ISchemaSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        foreach (var source in sources)
        {
            var d = source.Describe(Header);
            if (d is null) continue;
            try
            {
                Root = VmStateCodec.Decode(d, Payload, PayloadOffset);
                Source = source.SourceName;
                return;
            }
            catch (VmStateFormatException e)
            {
                Problems.Add(source.SourceName + ": " + e.Message);
            }
        }
    }
}
