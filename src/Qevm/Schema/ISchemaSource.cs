namespace Qevm.Schema;

/// <summary>Something that can describe FULL sections: a trailer, a catalogue, a <c>-dump-vmstate</c> file.</summary>
public interface ISchemaSource
{
    /// <summary>A short name for messages and output (<c>trailer</c>, a file name).</summary>
    string SourceName { get; }

    /// <summary>Candidate descriptions of a section, most likely first; empty when this source has none.</summary>
    IEnumerable<VmStateDescription> Describe(SectionHeader section);

    /// <summary>
    /// This source as it applies to a file with these FULL sections (a catalogue prefers the layouts of the
    /// harvested stream whose sections the file's match best).
    /// </summary>
    ISchemaSource ForStream(IReadOnlyList<SectionHeader> sections) => this;
}
