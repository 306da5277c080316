namespace Qevm.Streams;

/// <summary>
/// Identity of a section as its START or FULL header gives it. PART and END records carry only the id;
/// the reader gives them the header of their START.
/// </summary>
/// <param name="SectionId">be32 section id (unique per QEMU process, with gaps, §4.8).</param>
/// <param name="Idstr">Handler name, e.g. <c>ram</c>, <c>0000:00:01.1/ide</c>.</param>
/// <param name="InstanceId">Unsigned instance id (may be ≥ 2^31, §4.10).</param>
/// <param name="VersionId">Version the section was written with.</param>
public sealed record SectionHeader(uint SectionId, string Idstr, uint InstanceId, uint VersionId)
{
    /// <summary>Raw idstr bytes, kept so that non-ASCII idstrs are written back unchanged.</summary>
    public byte[] IdstrBytes { get; init; } = System.Text.Encoding.Latin1.GetBytes(Idstr);
}
