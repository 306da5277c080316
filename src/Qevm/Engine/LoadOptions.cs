namespace Qevm.Engine;

/// <summary>How <see cref="SaveStateRegistry.LoadDeviceState"/> reads: the loader's own migration settings.</summary>
public sealed record LoadOptions
{
    /// <summary>Expect a footer after every section (the loader's <c>send-section-footer</c>, §9.3).</summary>
    public bool SectionFooters { get; init; } = true;

    /// <summary>
    /// Require the configuration section (the loader's <c>send-configuration</c>, §14.4); off by default, as a
    /// device-state file has none.
    /// </summary>
    public bool RequireConfiguration { get; init; }

    /// <summary>The local machine type the configuration's is compared with, when the configuration is required.</summary>
    public string? MachineType { get; init; }

    /// <summary>
    /// Skip sections no registered device matches instead of failing with QEMU's "Unknown savevm section or
    /// instance" error; they are delimited by their footers.
    /// </summary>
    public bool SkipUnknownSections { get; init; }

    /// <summary>Largest input accepted, in bytes.</summary>
    public long MaxLength { get; init; } = 256L << 20;
}
