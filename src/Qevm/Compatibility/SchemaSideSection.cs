namespace Qevm.Compatibility;

/// <summary>A section a side lists: idstr, instance id, version, and its description when the side has one.</summary>
/// <param name="Idstr">QEMU's idstr (<c>0000:00:03.0/e1000</c>).</param>
/// <param name="InstanceId">The instance id.</param>
/// <param name="VersionId">The version it is written with.</param>
/// <param name="Description">Its description (from a trailer or catalogue); null when not known.</param>
public sealed record SchemaSideSection(string Idstr, uint InstanceId, uint VersionId, VmStateDescription? Description);
