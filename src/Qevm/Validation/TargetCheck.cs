using System.Globalization;

namespace Qevm.Validation;

/// <summary>One reason a given QEMU would refuse a stream, with QEMU's own message and where it applies.</summary>
/// <param name="Offset">Offset of the record concerned.</param>
/// <param name="Record">The record, e.g. <c>FULL 19 'mc146818rtc' #0</c>.</param>
/// <param name="QemuMessage">What that QEMU prints.</param>
public sealed record TargetFinding(long Offset, string Record, string QemuMessage);

/// <summary>
/// Predicts what a target QEMU's loader says of a stream that reads well (FORMAT.md §3, §4.10, §4.11, §14.4, §17.8), in
/// the order that QEMU meets it, with what the target (<see cref="CheckTarget"/>) gives to check against: whether it
/// starts at all with that machine type; the configuration section (required, and the machine type); then the records
/// in stream order: sections it does not know, versions above its description's or below its minimum, and at the
/// <c>ram</c> section the RAM block list (blocks it does not have, sizes it does not take). What the target does not
/// give is listed as not checked. QEMU stops at the first finding.
/// </summary>
public static class TargetCheck
{
    // From here on QEMU reports load errors on one line, "load of migration failed: Invalid argument: " and the
    // reasons joined (measured: 10.0 does not, 11.1 does; the versions between are not measured).
    private static readonly Version OneLineErrors = new(11, 0);

    private const string LoadFailed = "load of migration failed: Invalid argument: ";

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
        if (target.StartRefusal is { } refusal)
        {
            findings.Add(new TargetFinding(0, "QEMU start", refusal));
            return new TargetVerdict(findings, notChecked);
        }
        if (target.AssumesSourceDevices)
            notChecked.Add($"whether the destination has the source's devices ({target.Kind} {target.Name} is assumed to be started with them; give a stream or catalogue of the destination to check that)");
        machine ??= target.Machine;
        bool oneLine = target.QemuVersionAtLeast is { } qemu && qemu >= OneLineErrors;
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
            findings.Add(new TargetFinding(info.ConfigurationOffset, "configuration", MachineMismatch(oneLine, info.Configuration.Machine, machine)));
        }
        if (!target.ListsSections)
            notChecked.Add(target.Dump is not null
                ? "which sections and instances the target has (-dump-vmstate output has no instance ids and lacks sections every QEMU has)"
                : $"which sections and instances the target has ({target.Kind} {target.Name} lists none)");
        if (target.Dump is null) notChecked.Add("minimum versions (only -dump-vmstate output gives them)");
        if (info.Ram is { Blocks.Count: > 0 } && target.RamBlocks is null)
            notChecked.Add($"the RAM blocks ({target.Kind} {target.Name} lists none)");
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
                if (!target.TryGetSection(h.Idstr, h.InstanceId, out version)
                    && !(target.AssumesSourceDevices && (target.HasSectionNamed(h.Idstr) || target.Dump?.Versions(h.Idstr) is not null)))
                {
                    // The target's sections are the FULL sections of its streams; iterative handlers are in every QEMU.
                    if (s.Type == RecordType.SectionFull)
                        findings.Add(new TargetFinding(s.RecordOffset, record, oneLine
                            ? string.Create(CultureInfo.InvariantCulture, $"{LoadFailed}Unknown section or instance '{h.Idstr}' {h.InstanceId}. {QemuLoadMessages.SetupAdvice}")
                            : QemuLoadMessages.UnknownSection(h.Idstr, h.InstanceId)));
                    continue;
                }
            }
            if (target.Dump?.Versions(h.Idstr) is { } d)
                (version, minimum, name) = (d.Version, d.Minimum, d.Name);
            if (version is not null || minimum is not null) versionsChecked++;
            if (h.VersionId > version)
                findings.Add(new TargetFinding(s.RecordOffset, record, oneLine
                    ? string.Create(CultureInfo.InvariantCulture, $"{LoadFailed}unsupported version {h.VersionId} for '{h.Idstr}' v{version}")
                    : QemuLoadMessages.UnsupportedVersion(h.VersionId, h.Idstr, version.Value)));
            else if (minimum is { } min && h.VersionId < min)
                findings.Add(new TargetFinding(s.RecordOffset, record, oneLine
                    ? string.Create(CultureInfo.InvariantCulture, $"{LoadFailed}error while loading state for instance 0x{h.InstanceId:x} of device '{h.Idstr}': {name}: incoming version_id {h.VersionId} is too old for local minimum version_id {min}")
                    : QemuLoadMessages.TooOld(name, h.VersionId, min) + string.Create(CultureInfo.InvariantCulture, $"; error while loading state for instance 0x{h.InstanceId:x} of device '{h.Idstr}'")));
            // The block list is the ram section's first record: QEMU reads it right after this header.
            if (h.Idstr == "ram" && s.Type == RecordType.SectionStart && info.Ram is { } ram && target.RamBlocks is { } blocks)
                CheckRamBlocks(ram.Blocks, blocks, s.RecordOffset, record, findings, notChecked, target.AssumesSourceDevices);
        }
        if (versionsChecked == 0) notChecked.Add($"section versions ({target.Kind} {target.Name} gives none for this stream's sections)");
        return new TargetVerdict(findings, notChecked);
    }

    // ram_load's MEM_SIZE loop (migration/ram.c): each block of the stream, in its order, must exist here with the same
    // used length, or be resizeable (qemu_ram_resize up to its maximum, which the target does not tell).
    private static void CheckRamBlocks(IReadOnlyList<Qevm.Ram.RamBlock> incoming, IReadOnlyList<TargetRamBlock> local, long offset, string record,
        List<TargetFinding> findings, List<string> notChecked, bool assumeSourceDevices)
    {
        var byName = new Dictionary<string, TargetRamBlock>(StringComparer.Ordinal);
        foreach (var b in local) byName.TryAdd(b.Name, b);
        foreach (var b in incoming)
        {
            if (!byName.TryGetValue(b.Name, out var here))
            {
                if (assumeSourceDevices)
                {
                    notChecked.Add($"RAM block {b.Name} (a device or memory backend of the source, which the destination is assumed to have)");
                    continue;
                }
                findings.Add(new TargetFinding(offset, record, QemuLoadMessages.UnknownRamBlock(b.Name)));
                continue;
            }
            if (here.Sizing == RamBlockSizing.Memory)
                notChecked.Add($"the size of {b.Name} (0x{b.UsedLength:x} in the stream; the destination's -m decides it)");
            else if (here.Sizing == RamBlockSizing.Fixed && b.UsedLength != here.Size)
                findings.Add(new TargetFinding(offset, record, QemuLoadMessages.SizeMismatch(b.Name, b.UsedLength, here.Size)));
        }
    }

    // configuration_post_load's message; from 11.x on it comes through the post-load hook's error.
    private static string MachineMismatch(bool oneLine, string received, string local)
    {
        string message = QemuLoadMessages.MachineMismatch(received, local);
        return oneLine
            ? LoadFailed + "post load hook failed for: configuration, version_id: 1, minimum_version: 0: " + message
            : message;
    }
}
