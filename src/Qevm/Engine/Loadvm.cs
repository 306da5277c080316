using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Qevm.Engine;

/// <summary>
/// The loading side (<c>qemu_loadvm_state</c>): header, optional configuration, the main loop over FULL
/// sections, footers, the trailer probe. Sections load into copies; the copies are committed at the end.
/// </summary>
internal static class Loadvm
{
    public static LoadReport Load(SaveStateRegistry registry, System.IO.Stream input, LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        var data = ReadAll(input, options.MaxLength);
        var r = new LoadInput(data);
        var report = new LoadReport();
        ReadHeader(r);
        if (options.RequireConfiguration) ReadConfiguration(r, options);
        var staged = new Dictionary<SaveStateEntry, object>();
        StreamInfo? layout = null;
        while (true)
        {
            long recordOffset = r.Position;
            byte type = r.ReadByte("a record type");
            switch (type)
            {
                case 0x00:
                    ProbeTrailer(r, report);
                    // Every section read: now, and only now, the devices take their new state.
                    foreach (var (entry, state) in staged) entry.Device.Commit(state);
                    return report;
                case 0x01 or 0x04:
                    LoadStartFull(registry, r, options, recordOffset, type, staged, report, ref layout);
                    break;
                case 0x02 or 0x03:
                    uint id = r.ReadBe32("a section id");
                    // No handler here is iterative, so no START introduced this id (§4.8).
                    throw new VmStateFormatException(VmStateError.UnknownSection, recordOffset + 1,
                        "a section id a START section introduced", string.Create(CultureInfo.InvariantCulture, $"{id}"),
                        string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section {id}"));
                default:
                    throw new VmStateFormatException(VmStateError.UnknownRecordType, recordOffset,
                        "a section record (0x04 FULL), or 0x00 EOF", string.Create(CultureInfo.InvariantCulture, $"0x{type:x2}"),
                        string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section type {type}"));
            }
        }
    }

    private static byte[] ReadAll(System.IO.Stream input, long max)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int n;
        while ((n = input.Read(chunk)) > 0)
        {
            if (buffer.Length + n > max)
                throw new VmStateFormatException(VmStateError.LimitExceeded, max, string.Create(CultureInfo.InvariantCulture, $"at most {max} bytes"), "a longer input");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    // §3: qemu_loadvm_state_header.
    private static void ReadHeader(LoadInput r)
    {
        uint magic = r.ReadBe32("the magic");
        if (magic != 0x5145564D)
            throw new VmStateFormatException(VmStateError.BadMagic, 0, "magic QEVM (51 45 56 4d)", string.Create(CultureInfo.InvariantCulture, $"{magic:x8}"), "Not a migration stream");
        uint version = r.ReadBe32("the version");
        if (version == 2)
            throw new VmStateFormatException(VmStateError.UnsupportedVersion, 4, "version 3", "2", "SaveVM v2 format is obsolete and don't work anymore");
        if (version != 3)
            throw new VmStateFormatException(VmStateError.UnsupportedVersion, 4, "version 3", version.ToString(CultureInfo.InvariantCulture), "Unsupported migration stream version");
    }

    // §14.4: required configuration, machine type compared over the received length as configuration_post_load does.
    private static void ReadConfiguration(LoadInput r, LoadOptions options)
    {
        if (r.Remaining < 1 || r.Peek(0) != 0x07)
            throw new VmStateFormatException(VmStateError.BadConfiguration, r.Position, "the configuration section (0x07)",
                r.Remaining < 1 ? "the end of the data" : string.Create(CultureInfo.InvariantCulture, $"0x{r.Peek(0):x2}"), "Configuration section missing");
        r.Position++;
        long at = r.Position;
        int len = checked((int)Math.Min(r.ReadBe32("the machine name length"), int.MaxValue));
        var name = Encoding.Latin1.GetString(r.Take(len, "the machine name"));
        while (r.Remaining >= 2 && r.Peek(0) == 0x05)
        {
            int n = r.Peek(1);
            if (n < "configuration".Length + 1 || r.Remaining < 2 + n) break;
            var sub = Encoding.Latin1.GetString(r.Data, r.Position + 2, n);
            if (!sub.StartsWith("configuration", StringComparison.Ordinal)) break;
            r.Position += 2 + n;
            r.ReadBe32("the subsection version");
            switch (sub)
            {
                case "configuration/target-page-bits":
                    r.ReadBe32("target-page-bits");
                    break;
                case "configuration/capabilities":
                    uint count = r.ReadBe32("the capability count");
                    for (uint i = 0; i < count; i++) r.Take(r.ReadByte("a capability length"), "a capability name");
                    break;
                case "configuration/uuid":
                    r.Take(16, "the UUID");
                    break;
                default:
                    // vmstate_subsection_load: -ENOENT without a message of its own.
                    throw new VmStateFormatException(VmStateError.UnknownSubsection, r.Position - 6 - n,
                        "a subsection the configuration has (configuration/target-page-bits, configuration/capabilities, configuration/uuid)", "'" + sub + "'");
            }
        }
        var local = options.MachineType;
        if (local is not null && !local.StartsWith(name, StringComparison.Ordinal))
            throw new VmStateFormatException(VmStateError.BadConfiguration, at, "machine type " + local, name,
                $"Machine type received is '{name}' and local is '{local}'");
    }

    // §4.11: qemu_loadvm_section_start_full.
    private static void LoadStartFull(SaveStateRegistry registry, LoadInput r, LoadOptions options, long recordOffset, byte type,
        Dictionary<SaveStateEntry, object> staged, LoadReport report, ref StreamInfo? layout)
    {
        uint sectionId = r.ReadBe32("a section id");
        if (r.Remaining < 1 || r.Peek(0) == 0 || r.Remaining < 1 + r.Peek(0))
            throw new VmStateFormatException(VmStateError.BadSectionHeader, r.Position, "an idstr (str8, 1..255 bytes)",
                r.Remaining < 1 ? "the end of the data" : "length " + r.Peek(0).ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"Unable to read ID string for section {sectionId}"));
        var idstrBytes = r.Take(r.ReadByte("the idstr length"), "the idstr");
        var idstr = Encoding.Latin1.GetString(idstrBytes);
        uint instanceId = r.ReadBe32("the instance id");
        uint versionId = r.ReadBe32("the version id");
        var header = new SectionHeader(sectionId, idstr, instanceId, versionId);
        string record = string.Create(CultureInfo.InvariantCulture, $"{(type == 0x04 ? "FULL" : "START")} {sectionId} '{idstr}' #{instanceId} at 0x{recordOffset:x}");
        // QEMU treats START like FULL here (qemu_loadvm_section_start_full); the devices here are not iterative.
        var entry = registry.Find(idstr, instanceId);
        if (entry is null)
        {
            if (options.SkipUnknownSections && type == 0x04)
            {
                Skip(r, recordOffset, ref layout);
                report.Skipped.Add(header);
                return;
            }
            throw new VmStateFormatException(VmStateError.UnknownDevice, recordOffset, "a section of a registered device", $"'{idstr}' #{instanceId}",
                string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section or instance '{idstr}' {instanceId}. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices"),
                record);
        }
        if (versionId > (uint)entry.Device.VersionId)
            throw new VmStateFormatException(VmStateError.UnsupportedDescriptionVersion, recordOffset, $"version {entry.Device.VersionId} or lower", versionId.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"savevm: unsupported version {versionId} for '{idstr}' v{entry.Device.VersionId}"), record);
        if (!staged.TryGetValue(entry, out var state)) staged[entry] = state = entry.Device.BeginLoad();
        try
        {
            entry.Device.Load(state, r, (int)versionId);
        }
        catch (VmStateFormatException e)
        {
            // QEMU prints the specific message, then this one (§17.3).
            var wrapper = string.Create(CultureInfo.InvariantCulture, $"error while loading state for instance 0x{instanceId:x} of device '{idstr}'");
            throw new VmStateFormatException(e.Error, e.Offset, e.Expected, e.Found, e.QemuMessage is null ? wrapper : e.QemuMessage + "; " + wrapper, record);
        }
        if (options.SectionFooters) CheckFooter(r, sectionId, idstr, record);
        report.Loaded.Add(entry);
    }

    // §9.3: check_section_footer.
    private static void CheckFooter(LoadInput r, uint sectionId, string idstr, string record)
    {
        long at = r.Position;
        if (r.Remaining < 1 || r.Peek(0) != 0x7E)
            throw new VmStateFormatException(VmStateError.BadFooter, at, string.Create(CultureInfo.InvariantCulture, $"footer 0x7E + be32 {sectionId}"),
                r.Remaining < 1 ? "the end of the data" : string.Create(CultureInfo.InvariantCulture, $"0x{r.Peek(0):x2}"), "Missing section footer for " + idstr, record);
        r.Position++;
        uint read = r.ReadBe32("the footer's section id");
        if (read != sectionId)
            throw new VmStateFormatException(VmStateError.BadFooter, at + 1, string.Create(CultureInfo.InvariantCulture, $"section id {sectionId} in the footer"), read.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"Mismatched section id in footer for {idstr} - read 0x{read:x} expected 0x{sectionId:x}"), record);
    }

    // A section of a device not registered: the stream reader delimits it (footers or a schema), and it is passed over.
    private static void Skip(LoadInput r, long recordOffset, ref StreamInfo? layout)
    {
        layout ??= StreamInfo.Read(new MemoryStream(r.Data, writable: false));
        foreach (var s in layout.Sections)
        {
            if (s.RecordOffset != recordOffset) continue;
            long end = s.FooterOffset is { } f ? f + 5 : s.PayloadOffset + s.PayloadLength;
            r.Position = checked((int)end);
            return;
        }
        throw new VmStateFormatException(VmStateError.NeedsSchema, recordOffset, "a section the stream reader can delimit", "none at this offset");
    }

    // qemu_loadvm_state: after EOF, a trailer is read and discarded; anything else is only a warning.
    private static void ProbeTrailer(LoadInput r, LoadReport report)
    {
        if (r.Remaining >= 5 && r.Peek(0) == 0x06)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(r.Data.AsSpan(r.Position + 1, 4));
            if (length <= (uint)(r.Remaining - 5)) return;
        }
        int got = r.Remaining > 0 ? r.Peek(0) : 0;
        report.Warnings.Add(new Diagnostic(r.Position, string.Create(CultureInfo.InvariantCulture, $"Expected vmdescription section, but got {got}")));
    }
}
