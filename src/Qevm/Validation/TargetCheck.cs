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
/// below its minimum, with what the target (<see cref="CheckTarget"/>) gives to check against; what it does not
/// give is listed as not checked. Findings are in stream order; QEMU stops at the first.
/// </summary>
public static class TargetCheck
{
    /// <summary>
    /// The findings for <paramref name="info"/> against <paramref name="target"/>, and what the target gives nothing to
    /// check against; <paramref name="machine"/> overrides the target's machine type.
    /// </summary>
    public static TargetVerdict Verdict(StreamInfo info, CheckTarget target, string? machine = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(target);
        var findings = new List<TargetFinding>();
        var notChecked = new List<string>();
        machine ??= target.Machine;
        // Machines of these QEMUs expect the configuration section (send-configuration is on but for Xen).
        if (machine is null)
        {
            notChecked.Add($"the machine type ({target.Kind} {target.Name} names none)");
        }
        else if (info.Configuration is null)
        {
            findings.Add(new TargetFinding(8, "header", "Configuration section missing"));
            return new TargetVerdict(findings, notChecked);
        }
        else if (info.Configuration.Machine != machine)
        {
            findings.Add(new TargetFinding(info.ConfigurationOffset, "configuration",
                $"Machine type received is '{info.Configuration.Machine}' and local is '{machine}'"));
        }
        if (!target.ListsSections)
            notChecked.Add(target.Dump is not null
                ? "which sections and instances the target has (-dump-vmstate output has no instance ids and lacks sections every QEMU has)"
                : $"which sections and instances the target has ({target.Kind} {target.Name} lists none)");
        if (target.Dump is null) notChecked.Add("minimum versions (only -dump-vmstate output gives them)");
        int versionsChecked = 0;
        foreach (var s in info.Sections)
        {
            if (s.Type is not (RecordType.SectionStart or RecordType.SectionFull)) continue;
            var h = s.Header;
            string record = string.Create(CultureInfo.InvariantCulture, $"{(s.Type == RecordType.SectionFull ? "FULL" : "START")} {h.SectionId} '{h.Idstr}' #{h.InstanceId} at 0x{s.RecordOffset:x}");
            uint? version = null;
            uint? minimum = null;
            string name = h.Idstr;
            if (target.ListsSections)
            {
                if (!target.TryGetSection(h.Idstr, h.InstanceId, out version))
                {
                    // The target's sections are the FULL sections of its streams; iterative handlers are in every QEMU.
                    if (s.Type == RecordType.SectionFull)
                        findings.Add(new TargetFinding(s.RecordOffset, record, string.Create(CultureInfo.InvariantCulture,
                            $"Unknown savevm section or instance '{h.Idstr}' {h.InstanceId}. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices")));
                    continue;
                }
            }
            if (target.Dump?.Versions(h.Idstr) is { } d)
                (version, minimum, name) = (d.Version, d.Minimum, d.Name);
            if (version is not null || minimum is not null) versionsChecked++;
            if (h.VersionId > version)
                findings.Add(new TargetFinding(s.RecordOffset, record, string.Create(CultureInfo.InvariantCulture,
                    $"savevm: unsupported version {h.VersionId} for '{h.Idstr}' v{version}")));
            else if (minimum is { } min && h.VersionId < min)
                findings.Add(new TargetFinding(s.RecordOffset, record, string.Create(CultureInfo.InvariantCulture,
                    $"{name}: incoming version_id {h.VersionId} is too old for local minimum version_id  {min}; error while loading state for instance 0x{h.InstanceId:x} of device '{h.Idstr}'")));
        }
        if (versionsChecked == 0) notChecked.Add($"section versions ({target.Kind} {target.Name} gives none for this stream's sections)");
        return new TargetVerdict(findings, notChecked);
    }
}
