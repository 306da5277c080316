namespace Qevm.Engine;

/// <summary>How <see cref="SaveStateRegistry.SaveDeviceState"/> writes.</summary>
public sealed record SaveOptions
{
    /// <summary>Section footers (<c>send-section-footer</c>; on by default as in QEMU, §9.2).</summary>
    public bool SectionFooters { get; init; } = true;

    /// <summary>A configuration section to write after the header (<c>xen-save-devices-state</c> writes none).</summary>
    public ConfigurationSection? Configuration { get; init; }

    /// <summary>
    /// Append the JSON trailer describing the sections written (§13), so that <c>analyze-migration.py</c> and
    /// <c>qevm dump</c> decode the file without another schema. QEMU writes none in a device-state file.
    /// </summary>
    public bool Trailer { get; init; }

    /// <summary>The trailer's <c>page_size</c>.</summary>
    public int PageSize { get; init; } = 4096;
}
