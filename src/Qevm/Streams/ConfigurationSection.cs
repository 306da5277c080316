namespace Qevm.Streams;

/// <summary>
/// The configuration section (§14): machine type and the optional subsections
/// <c>configuration/target-page-bits</c>, <c>configuration/capabilities</c>, <c>configuration/uuid</c>.
/// </summary>
public sealed record ConfigurationSection
{
    /// <summary>Machine type name as written (e.g. <c>pc-i440fx-7.2</c>).</summary>
    public required string Machine { get; init; }

    /// <summary>Machine name bytes, written back unchanged.</summary>
    public byte[] MachineBytes { get; init; } = [];

    /// <summary>The <c>target-page-bits</c> subsection, or null when absent (the target's minimum).</summary>
    public uint? TargetPageBits { get; init; }

    /// <summary>The validated capabilities listed, or null when the subsection is absent.</summary>
    public IReadOnlyList<string>? Capabilities { get; init; }

    /// <summary>The 16 UUID bytes (RFC 4122 order), or null when the subsection is absent.</summary>
    public byte[]? Uuid { get; init; }

    /// <summary>Subsections in stream order, with the version each was written with.</summary>
    public IReadOnlyList<(string Name, uint Version)> SubsectionOrder { get; init; } = [];

    /// <summary>The UUID as <c>xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx</c>, in byte order.</summary>
    public string? UuidText => Uuid is null ? null : FormatUuid(Uuid);

    internal static string FormatUuid(ReadOnlySpan<byte> u)
    {
        var hex = Convert.ToHexStringLower(u);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
