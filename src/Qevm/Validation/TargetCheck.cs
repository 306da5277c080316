using System.Globalization;

namespace Qevm.Validation;

/// <summary>One reason a given QEMU would refuse a stream, with QEMU's own message and where it applies.</summary>
/// <param name="Offset">Offset of the record concerned.</param>
/// <param name="Record">The record, e.g. <c>FULL 19 'mc146818rtc' #0</c>.</param>
/// <param name="QemuMessage">What that QEMU prints.</param>
public sealed record TargetFinding(long Offset, string Record, string QemuMessage);

/// <summary>
/// Predicts what a target QEMU's loader says of a stream that reads well (FORMAT.md §3, §4.10, §4.11, §14.4):
/// configuration required and machine name, sections it does not know, versions above its description's or
/// below its minimum. The target is a <c>-dump-vmstate</c> file (versions, minimums, machine) or a catalogue
/// harvested from that QEMU (its sections and versions). Findings are in stream order; QEMU stops at the first.
/// </summary>
public static class TargetCheck
{
    /// <summary>The findings for <paramref name="info"/> against <paramref name="target"/>; <paramref name="machine"/> overrides the target's machine.</summary>
    public static List<TargetFinding> Check(StreamInfo info, ISchemaSource target, string? machine = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(target);
        var findings = new List<TargetFinding>();
        machine ??= target switch
        {
            DumpVmStateSchema d => d.Machine,
            SchemaCatalogue c => c.Machine,
            _ => null,
        };
        // Machines of these QEMUs expect the configuration section (send-configuration is on but for Xen).
        if (machine is not null)
        {
            if (info.Configuration is null)
            {
                findings.Add(new TargetFinding(8, "header", "Configuration section missing"));
                return findings;
            }
            if (info.Configuration.Machine != machine)
                findings.Add(new TargetFinding(info.ConfigurationOffset, "configuration",
                    $"Machine type received is '{info.Configuration.Machine}' and local is '{machine}'"));
        }
        foreach (var s in info.Sections)
        {
            if (s.Type is not (RecordType.SectionStart or RecordType.SectionFull)) continue;
            var h = s.Header;
            string record = string.Create(CultureInfo.InvariantCulture, $"{(s.Type == RecordType.SectionFull ? "FULL" : "START")} {h.SectionId} '{h.Idstr}' #{h.InstanceId} at 0x{s.RecordOffset:x}");
            var known = Lookup(target, h);
            if (known is null)
            {
                // A catalogue lists the FULL sections of its streams; iterative handlers are in every QEMU.
                if (target is SchemaCatalogue && s.Type == RecordType.SectionFull)
                    findings.Add(new TargetFinding(s.RecordOffset, record, string.Create(CultureInfo.InvariantCulture,
                        $"Unknown savevm section or instance '{h.Idstr}' {h.InstanceId}. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices")));
                continue;
            }
            var (version, minimum, name) = known.Value;
            if (h.VersionId > version)
                findings.Add(new TargetFinding(s.RecordOffset, record, string.Create(CultureInfo.InvariantCulture,
                    $"savevm: unsupported version {h.VersionId} for '{h.Idstr}' v{version}")));
            else if (minimum is { } min && h.VersionId < min)
                findings.Add(new TargetFinding(s.RecordOffset, record, string.Create(CultureInfo.InvariantCulture,
                    $"{name}: incoming version_id {h.VersionId} is too old for local minimum version_id  {min}; error while loading state for instance 0x{h.InstanceId:x} of device '{h.Idstr}'")));
        }
        return findings;
    }

    // Version, minimum version and vmsd name the target has for a section; null when it does not know it.
    private static (uint Version, uint? Minimum, string Name)? Lookup(ISchemaSource target, SectionHeader h)
    {
        switch (target)
        {
            case DumpVmStateSchema d:
                return d.Versions(h.Idstr) is { } v ? (v.Version, v.Minimum, v.Name) : null;
            case SchemaCatalogue c:
                return c.Version(h) is { } cv ? (cv, null, h.Idstr) : null;
            default:
                return null;
        }
    }
}
