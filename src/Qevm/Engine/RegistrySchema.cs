namespace Qevm.Engine;

/// <summary>
/// The registry's devices as a schema source: a section of a registered device is described by the device's own
/// description (<see cref="VmStateDevice.Describe"/>), so the stream reader delimits it as the device loads it.
/// </summary>
internal sealed class RegistrySchema(SaveStateRegistry registry) : ISchemaSource
{
    public string SourceName => "the engine's devices";

    public IEnumerable<VmStateDescription> Describe(SectionHeader section)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (registry.Find(section.Idstr, section.InstanceId) is not { } entry) return [];
        return [entry.Device.Describe()];
    }
}
