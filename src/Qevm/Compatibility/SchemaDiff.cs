using System.Globalization;
using Qevm.Validation;

namespace Qevm.Compatibility;

/// <summary>
/// <c>qevm schema diff OLD NEW</c>: what a destination QEMU (NEW) does with the state a source QEMU (OLD) writes,
/// section by section, in QEMU's load order and words: RAM blocks (<c>Unknown ramblock</c>, <c>Size mismatch</c>),
/// sections NEW does not know (<c>Unknown savevm section or instance</c>), versions (<c>savevm: unsupported
/// version</c>, <c>too old for local minimum version_id</c>), subsections NEW does not know, and fields added,
/// removed, renamed, resized or retyped (<see cref="FieldDiff"/>). With a stream, only its sections, versions,
/// subsections and RAM blocks are compared.
/// </summary>
public static class SchemaDiff
{
    /// <summary>Compares <paramref name="old"/> (the source) with <paramref name="new"/> (the destination), limited to <paramref name="stream"/>'s content when given.</summary>
    public static SchemaDiffResult Compare(SchemaSide old, SchemaSide @new, SchemaSide? stream = null)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(@new);
        // OLD a stream (or its trailer) and NEW only descriptions (-dump-vmstate, a database entry): OLD's sections are
        // what NEW receives, as with --stream. Compared by description name, the sections QEMU registers outside a
        // device type (cpu, timer, ...), which -dump-vmstate does not list, were refused.
        if (stream is null && old.Sections is not null && @new.Sections is null) stream = old;
        var findings = new List<SchemaDiffFinding>();
        var notChecked = new List<string>();
        if (stream is not null && stream.Machine is { } received && @new.Machine is { } local && received != local)
            findings.Add(new SchemaDiffFinding("configuration", null, SchemaChange.MachineTypeDiffers, QemuReaction.Refuse,
                $"the stream's machine type is '{received}', NEW's '{local}'", QemuLoadMessages.MachineMismatch(received, local)));
        else if (stream is null && old.Machine is { } om && @new.Machine is { } nm && om != nm)
            notChecked.Add($"the machine type (OLD is '{om}', NEW '{nm}': the descriptions are compared as they are)");
        CompareRamBlocks(stream ?? old, @new, findings, notChecked);
        int sections = 0;
        var unknown = new List<string>();
        List<string> noOld = [], noNew = [];
        if (stream is not null)
        {
            if (stream.Sections is null) throw new ArgumentException("the stream lists no sections", nameof(stream));
            foreach (var s in stream.Sections)
            {
                string unit = string.Create(CultureInfo.InvariantCulture, $"{s.Idstr} #{s.InstanceId}");
                var o = old.Describe(s.Idstr, s.InstanceId) ?? s.Description;
                if (!KnownToNew(unit, s.Idstr, s.InstanceId, @new, findings, unknown, out var n)) continue;
                if (o is null || n is null)
                {
                    (o is null ? noOld : noNew).Add(unit);
                    if (n is not null) CheckVersion(unit, s.Idstr, (int)s.VersionId, n, topLevel: true, findings);
                    continue;
                }
                sections++;
                // The subsections the stream's trailer shows were written; without one, OLD's own list (when it is a trailer).
                CompareDescription(unit, s.Idstr, "", o, n, (int)s.VersionId, (s.Description is not null, s.Description), topLevel: true, old.WrittenLayoutsOnly, @new.WrittenLayoutsOnly, findings, notChecked);
            }
        }
        else if (old.Sections is not null && @new.Sections is not null)
        {
            foreach (var s in old.Sections)
            {
                string unit = string.Create(CultureInfo.InvariantCulture, $"{s.Idstr} #{s.InstanceId}");
                if (!KnownToNew(unit, s.Idstr, s.InstanceId, @new, findings, unknown, out var n)) continue;
                if (s.Description is null || n is null)
                {
                    (s.Description is null ? noOld : noNew).Add(unit);
                    continue;
                }
                sections++;
                CompareDescription(unit, s.Idstr, "", s.Description, n, (int)s.VersionId, (true, s.Description), topLevel: true, true, true, findings, notChecked);
            }
            foreach (var s in @new.Sections)
                if (old.Section(s.Idstr, s.InstanceId) is null)
                    findings.Add(new SchemaDiffFinding(string.Create(CultureInfo.InvariantCulture, $"{s.Idstr} #{s.InstanceId}"), null, SchemaChange.SectionMissingInOld,
                        QemuReaction.Accept, "section only in NEW: OLD does not send it, the device keeps its reset state"));
        }
        else
        {
            // By description name: -dump-vmstate output lists device types, not the sections of a guest.
            foreach (var o in old.Descriptions)
            {
                var n = @new.Description(o.Name);
                if (n is null)
                {
                    findings.Add(new SchemaDiffFinding(o.Name, null, SchemaChange.SectionMissingInNew, QemuReaction.Refuse,
                        "section only in OLD: NEW has no description of that name",
                        QemuLoadMessages.UnknownSection(o.Name, 0),
                        old.Sections is null ? "when the guest has this device, unless NEW registers it outside a device type, which -dump-vmstate does not list" : null));
                    continue;
                }
                sections++;
                CompareDescription(o.Name, o.Name, "", o, n, o.VersionId, (false, null), topLevel: true, old.WrittenLayoutsOnly, @new.WrittenLayoutsOnly, findings, notChecked);
            }
            // A device type whose description (so its section's idstr) has another name in NEW: find_se fails.
            foreach (var (type, name) in old.DeviceTypes ?? new Dictionary<string, string>())
                if (@new.DeviceTypes?.GetValueOrDefault(type) is { } renamed && renamed != name && @new.Description(name) is not null)
                    findings.Add(new SchemaDiffFinding(name, null, SchemaChange.SectionMissingInNew, QemuReaction.Refuse,
                        $"device type '{type}' has the section '{name}' in OLD and '{renamed}' in NEW",
                        QemuLoadMessages.UnknownSection(name, 0),
                        $"when the guest has a {type}"));
            foreach (var n in @new.Descriptions)
                if (old.Description(n.Name) is null)
                    findings.Add(new SchemaDiffFinding(n.Name, null, SchemaChange.SectionMissingInOld, QemuReaction.Accept,
                        "section only in NEW: OLD does not send it, the device keeps its reset state"));
        }
        foreach (var (side, units) in new[] { ("OLD", noOld), ("NEW", noNew) })
            if (units.Count > 0)
                notChecked.Add($"the fields of {string.Join(", ", units.Select(u => "'" + u + "'"))} ({side} has no description of them)");
        if (unknown.Count > 0)
            notChecked.Add($"whether NEW has {string.Join(", ", unknown.Select(u => "'" + u + "'"))} ({@new.Kind} {@new.Name} has no description of them and lists no sections)");
        return new SchemaDiffResult(findings, notChecked, sections);
    }

    // QEMU's find_se: NEW must have a handler for the idstr and instance. -dump-vmstate output lists no sections and
    // lacks those QEMU registers outside a device type (cpu, apic, timer, ...; ps2kbd before 6.0), so a section it
    // does not name is not a finding: it goes to unknown.
    private static bool KnownToNew(string unit, string idstr, uint instance, SchemaSide @new, List<SchemaDiffFinding> findings,
        List<string> unknown, out VmStateDescription? description)
    {
        description = @new.Describe(idstr, instance);
        if (@new.Sections is not null)
        {
            if (@new.Section(idstr, instance) is not null) return true;
            findings.Add(new SchemaDiffFinding(unit, null, SchemaChange.SectionMissingInNew, QemuReaction.Refuse, "section NEW does not have",
                QemuLoadMessages.UnknownSection(idstr, instance)));
            return false;
        }
        if (description is not null) return true;
        unknown.Add(unit);
        return false;
    }

    // §4.10 step 3 (sections) and §5.3 rules 1-2 (subsections): false when NEW refuses the version.
    private static bool CheckVersion(string unit, string name, int version, VmStateDescription n, bool topLevel, List<SchemaDiffFinding> findings, string? path = null)
    {
        if (version > n.VersionId)
        {
            findings.Add(new SchemaDiffFinding(unit, path, SchemaChange.VersionTooNew, QemuReaction.Refuse,
                string.Create(CultureInfo.InvariantCulture, $"OLD writes version {version}, NEW loads up to {n.VersionId}"),
                topLevel
                    ? QemuLoadMessages.UnsupportedVersion(version, name, n.VersionId)
                    : string.Create(CultureInfo.InvariantCulture, $"{n.Name}: incoming version_id {version} is too new for local version_id {n.VersionId}")));
            return false;
        }
        if (n.MinimumVersionId is { } min && version < min)
        {
            findings.Add(new SchemaDiffFinding(unit, path, SchemaChange.VersionTooOld, QemuReaction.Refuse,
                string.Create(CultureInfo.InvariantCulture, $"OLD writes version {version}, NEW loads from {min}"),
                QemuLoadMessages.TooOld(n.Name, version, min)));
            return false;
        }
        return true;
    }

    private static void CompareDescription(string unit, string name, string prefix, VmStateDescription o, VmStateDescription n, int version,
        (bool Known, VmStateDescription? Description) written, bool topLevel, bool oldWritten, bool newWritten, List<SchemaDiffFinding> findings, List<string> notChecked, string? when = null)
    {
        int first = findings.Count;
        CompareDescriptionBody(unit, name, prefix, o, n, version, written, topLevel, oldWritten, newWritten, findings, notChecked);
        // In a subsection OLD may not send, every finding holds only when it does.
        if (when is not null)
            for (int i = first; i < findings.Count; i++)
                findings[i] = findings[i] with { Condition = findings[i].Condition is { } c ? when + ", " + c : when };
    }

    private static void CompareDescriptionBody(string unit, string name, string prefix, VmStateDescription o, VmStateDescription n, int version,
        (bool Known, VmStateDescription? Description) written, bool topLevel, bool oldWritten, bool newWritten, List<SchemaDiffFinding> findings, List<string> notChecked)
    {
        if (!CheckVersion(unit, name, version, n, topLevel, findings, prefix.Length == 0 ? null : prefix.TrimEnd('/'))) return;
        if (o.IsOldStyle || n.IsOldStyle)
        {
            notChecked.Add($"the fields of '{unit}' (an old-style section: one opaque buffer)");
            return;
        }
        var oldLayout = WireLayout.Of(o, version);
        var newLayout = WireLayout.Of(n, version);
        if (newWritten && n.VersionId != version)
        {
            // A trailer gives the layout of the version it wrote only.
            notChecked.Add(string.Create(CultureInfo.InvariantCulture, $"the fields of '{unit}{(prefix.Length == 0 ? "" : " " + prefix.TrimEnd('/'))}' (NEW describes version {n.VersionId} only, OLD writes {version})"));
        }
        else
        {
            FieldDiff.Compare(unit, prefix, oldLayout, newLayout, findings);
        }
        CompareSubsections(unit, name, prefix, o, n, written, oldWritten, newWritten, findings, notChecked);
        // vmstate_load_state loads a nested struct's subsections after its fields, as a section's.
        IReadOnlyList<(string Path, VmStateDescription Description)>? writtenStructs = null; // laid out once, when first needed
        foreach (var (path, od) in oldLayout.Structs)
        {
            if (od.Subsections.Count == 0) continue;
            var nd = newLayout.Structs.FirstOrDefault(x => x.Path == path).Description ?? newLayout.Structs.FirstOrDefault(x => x.Description.Name == od.Name).Description;
            // What the stream wrote of that struct: its trailer's struct at the same path, or of the same description.
            var wd = written.Description is { } w && (writtenStructs ??= WireLayout.Of(w, w.VersionId).Structs) is var ws
                ? ws.FirstOrDefault(x => x.Path == path).Description ?? ws.FirstOrDefault(x => x.Description.Name == od.Name).Description : null;
            if (nd is not null) CompareSubsections(unit, name, prefix + path + ":", od, nd, (written.Known, wd), oldWritten, newWritten, findings, notChecked);
        }
    }

    private static void CompareSubsections(string unit, string name, string prefix, VmStateDescription o, VmStateDescription n,
        (bool Known, VmStateDescription? Description) written, bool oldWritten, bool newWritten, List<SchemaDiffFinding> findings, List<string> notChecked)
    {
        foreach (var os in o.Subsections)
        {
            // The stream's trailer says which subsections were written; else OLD's trailer did; -dump-vmstate cannot say.
            var w = written.Description?.Subsections.FirstOrDefault(x => x.Name == os.Name);
            bool? isSent = written.Known ? w is not null : oldWritten ? true : null;
            if (isSent == false) continue;
            string path = prefix + os.Name;
            var ns = n.Subsections.FirstOrDefault(x => x.Name == os.Name);
            if (ns is null && newWritten)
            {
                // A trailer lists the subsections its QEMU wrote, not all it knows.
                notChecked.Add($"whether NEW knows subsection '{os.Name}' of '{unit}' (its trailer lists only those it wrote)");
                continue;
            }
            if (ns is null)
            {
                findings.Add(new SchemaDiffFinding(unit, "subsection " + os.Name, SchemaChange.SubsectionMissingInNew, QemuReaction.Refuse,
                    $"subsection '{os.Name}' is unknown to NEW: its load fails (-ENOENT)",
                    string.Create(CultureInfo.InvariantCulture, $"error while loading state for instance 0x0 of device '{name}'"),
                    isSent is null ? "when OLD sends it (its needed test is true)" : null));
                continue;
            }
            // A subsection is loaded with the version written in its header: OLD's.
            CompareDescription(unit, name, path + "/", os, ns, (int)(w?.VersionId ?? os.VersionId), (written.Known, w), topLevel: false, oldWritten, newWritten, findings, notChecked,
                isSent is null ? "when OLD sends the subsection (its needed test is true)" : null);
        }
        foreach (var ns in n.Subsections)
            if (!o.Subsections.Any(x => x.Name == ns.Name) && !oldWritten)
                findings.Add(new SchemaDiffFinding(unit, "subsection " + ns.Name, SchemaChange.SubsectionMissingInOld, QemuReaction.Accept,
                    $"subsection '{ns.Name}' only in NEW: OLD never sends it"));
    }

    // ram_load: each block OLD sends must exist in NEW with its length, unless NEW can resize it (fw_cfg ROM blobs).
    private static void CompareRamBlocks(SchemaSide source, SchemaSide @new, List<SchemaDiffFinding> findings, List<string> notChecked)
    {
        if (source.RamBlocks is not { } blocks) return;
        if (@new.RamBlocks is not { } local)
        {
            notChecked.Add($"RAM blocks ({@new.Kind} {@new.Name} gives none)");
            return;
        }
        foreach (var (block, length) in blocks)
        {
            var match = local.FirstOrDefault(b => b.Name == block);
            if (match is null)
            {
                findings.Add(new SchemaDiffFinding(block, null, SchemaChange.RamBlockMissingInNew, QemuReaction.Refuse, "RAM block NEW does not have",
                    QemuLoadMessages.UnknownRamBlock(block)));
            }
            else if (length is { } l && match.Length is { } m && m != l)
            {
                // ACPI tables, the table loader and fw_cfg files (/rom@...) are blobs QEMU allocates resizeable (rom_add_blob max_len).
                bool resizeable = TargetRamBlock.SizingOf(block) == RamBlockSizing.Resizeable;
                findings.Add(new SchemaDiffFinding(block, null, SchemaChange.RamBlockResized, resizeable ? QemuReaction.Accept : QemuReaction.Refuse,
                    string.Create(CultureInfo.InvariantCulture, $"RAM block of 0x{l:x} bytes in OLD, 0x{m:x} in NEW") + (resizeable ? " (a resizeable fw_cfg blob: NEW resizes it)" : ""),
                    resizeable ? null : QemuLoadMessages.SizeMismatch(block, l, m)));
            }
        }
    }
}
