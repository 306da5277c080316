using System.Globalization;

namespace Qevm.Engine;

/// <summary>
/// The loading side (<c>qemu_loadvm_state</c>) over the one stream parser: <see cref="VmStateReader"/> reads the header,
/// the configuration, section headers, footers, EOF and the trailer, and delimits FULL sections with the devices' own
/// descriptions (<see cref="RegistrySchema"/>), so its verdict on the stream is the engine's. Here: the loader's own
/// settings (configuration required or not, footers expected or not), <c>find_se</c>, the version check, and each
/// device loading its section's data. Sections load into copies; the copies are committed at the end.
/// </summary>
internal static class Loadvm
{
    public static LoadReport Load(SaveStateRegistry registry, System.IO.Stream input, LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        long origin = input.CanSeek ? input.Position : -1;
        var readerOptions = new VmStateReaderOptions
        {
            // QEMU's loader knows its devices; a trailer in the file is read (and ignored) only after EOF.
            ReadTrailerFirst = false,
            Schema = new RegistrySchema(registry),
            MaxRecordLength = (int)Math.Clamp(options.MaxLength, 1 << 16, int.MaxValue),
        };
        using var r = new VmStateReader(input, readerOptions, leaveOpen: true);
        var load = new Loading(registry, options);
        r.Read();
        bool first = true;
        while (true)
        {
            try
            {
                if (!r.Read()) throw new InvalidOperationException("the reader ended before EOF");
            }
            catch (VmStateFormatException) when (first && options.RequireConfiguration && ByteAt(input, origin, 8) is not (0x07 or -2))
            {
                throw ConfigurationMissing(input, origin);
            }
            if (r.Position - Math.Max(origin, 0) > options.MaxLength)
                throw new VmStateFormatException(VmStateError.LimitExceeded, options.MaxLength,
                    string.Create(CultureInfo.InvariantCulture, $"at most {options.MaxLength} bytes"), "a longer input");
            if (first && options.RequireConfiguration && r.RecordType != RecordType.Configuration) throw ConfigurationMissing(input, origin);
            first = false;
            if (load.Step(r)) return load.Report;
        }
    }

    // What one load has read so far, and its step per record.
    private sealed class Loading(SaveStateRegistry registry, LoadOptions options)
    {
        private readonly Dictionary<SaveStateEntry, object> _staged = [];
        private readonly Dictionary<uint, SaveStateEntry> _bySectionId = [];
        private (SaveStateEntry Entry, SectionHeader Header, string Record)? _awaitingFooter;

        public LoadReport Report { get; } = new();

        // True once the load is complete (EOF and the trailer probe).
        public bool Step(VmStateReader r)
        {
            if (_awaitingFooter is { } open && r.RecordType != RecordType.SectionFooter)
            {
                // A file without footers, given to a loader that expects them (check_section_footer).
                throw new VmStateFormatException(VmStateError.BadFooter, r.RecordOffset,
                    FooterMessages.Expected(open.Header.SectionId), "the next record",
                    FooterMessages.Missing(open.Header.Idstr), open.Record);
            }
            switch (r.RecordType)
            {
                case RecordType.Configuration:
                    if (!options.RequireConfiguration) throw UnknownType(r.RecordOffset, 0x07);
                    CheckMachine(r.Configuration!, r.PayloadOffset);
                    return false;
                case RecordType.SectionFooter:
                    // The reader checked the footer's id against the header's (check_section_footer).
                    if (!options.SectionFooters) throw UnknownType(r.RecordOffset, 0x7E);
                    if (_awaitingFooter is { } done) Report.LoadedList.Add(done.Entry);
                    _awaitingFooter = null;
                    return false;
                case RecordType.SectionFull or RecordType.SectionStart or RecordType.SectionPart or RecordType.SectionEnd:
                    LoadSection(r);
                    return false;
                case RecordType.Eof:
                    ProbeTrailer(r);
                    // Every section read: now, and only now, the devices take their new state.
                    foreach (var (entry, state) in _staged) entry.Device.Commit(state);
                    return true;
                default:
                    // Commands: the reader validated them as loadvm_process_command does; none changes a device.
                    return false;
            }
        }

        // §4.11: qemu_loadvm_section_start_full (START is read like FULL) and qemu_loadvm_section_part_end.
        private void LoadSection(VmStateReader r)
        {
            var h = r.Section!;
            bool startFull = r.RecordType is RecordType.SectionFull or RecordType.SectionStart;
            string record = string.Create(CultureInfo.InvariantCulture, $"{VmStateReader.TypeName(r.RecordType)} {h.SectionId} '{h.Idstr}' #{h.InstanceId} at 0x{r.RecordOffset:x}");
            SaveStateEntry? entry;
            if (startFull)
            {
                entry = registry.Find(h.Idstr, h.InstanceId);
                if (entry is null)
                {
                    if (options.SkipUnknownSections && r.RecordType == RecordType.SectionFull)
                    {
                        // Delimited by the reader (footers, or a schema); passed over.
                        _bySectionId.Remove(h.SectionId);
                        Report.SkippedList.Add(h);
                        return;
                    }
                    throw new VmStateFormatException(VmStateError.UnknownDevice, r.RecordOffset, "a section of a registered device", $"'{h.Idstr}' #{h.InstanceId}",
                        string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section or instance '{h.Idstr}' {h.InstanceId}. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices"),
                        record);
                }
                // QEMU prints the version_id (a uint32_t) with %d.
                if (h.VersionId > (uint)entry.Device.VersionId)
                    throw new VmStateFormatException(VmStateError.UnsupportedDescriptionVersion, r.RecordOffset, $"version {entry.Device.VersionId} or lower", h.VersionId.ToString(CultureInfo.InvariantCulture),
                        string.Create(CultureInfo.InvariantCulture, $"savevm: unsupported version {(int)h.VersionId} for '{h.Idstr}' v{entry.Device.VersionId}"), record);
                _bySectionId[h.SectionId] = entry;
            }
            else if (!_bySectionId.TryGetValue(h.SectionId, out entry))
            {
                // Only a START/FULL of a registered device gives a handler this id (se->load_section_id, §4.8).
                throw new VmStateFormatException(VmStateError.UnknownSection, r.RecordOffset + 1, "the id of a section started earlier",
                    h.SectionId.ToString(CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section {h.SectionId}"), record);
            }

            ReadOnlySpan<byte> payload;
            long payloadOffset;
            if (r.RecordType == RecordType.SectionFull)
            {
                payload = r.Payload;
                payloadOffset = r.PayloadOffset;
            }
            else
            {
                // START/PART/END of a non-iterative device: one opaque item up to the footer.
                r.ReadItem();
                payload = r.ItemBytes;
                payloadOffset = r.Item.Offset;
            }
            if (!_staged.TryGetValue(entry, out var state)) _staged[entry] = state = entry.Device.BeginLoad();
            string wrapper = startFull
                ? string.Create(CultureInfo.InvariantCulture, $"error while loading state for instance 0x{h.InstanceId:x} of device '{h.Idstr}'")
                : string.Create(CultureInfo.InvariantCulture, $"error while loading state section id {h.SectionId}({h.Idstr})");
            try
            {
                entry.Device.Load(state, payload, payloadOffset, (int)h.VersionId);
            }
            catch (VmStateFormatException e) when (e.Error == VmStateError.BadFooter)
            {
                // The device stopped before the section's end: QEMU checks the footer there (check_section_footer).
                throw FooterWhereTheDeviceStopped(payload, payloadOffset, e.Offset, h, record);
            }
            catch (VmStateFormatException e)
            {
                // QEMU prints the specific message, then this one (§17.3).
                throw new VmStateFormatException(e.Error, e.Offset, e.Expected, e.Found, e.QemuMessage is null ? wrapper : e.QemuMessage + "; " + wrapper, record);
            }
            if (options.SectionFooters)
            {
                if (r.HasFooters == false)
                    throw new VmStateFormatException(VmStateError.BadFooter, payloadOffset + payload.Length,
                        FooterMessages.Expected(h.SectionId), "the next record",
                        FooterMessages.Missing(h.Idstr), record);
                _awaitingFooter = (entry, h, record);
            }
            else
            {
                Report.LoadedList.Add(entry);
            }
        }

        private VmStateFormatException FooterWhereTheDeviceStopped(ReadOnlySpan<byte> payload, long payloadOffset, long at, SectionHeader h, string record)
        {
            var rest = payload[(int)(at - payloadOffset)..];
            string expected = string.Create(CultureInfo.InvariantCulture, $"footer 0x7E + be32 {h.SectionId} where the device's data ends");
            if (!options.SectionFooters)
                return new VmStateFormatException(VmStateError.UnknownRecordType, at, "a record type after the device's data",
                    string.Create(CultureInfo.InvariantCulture, $"0x{rest[0]:x2}"),
                    rest[0] is 0x00 or (>= 0x01 and <= 0x04) or 0x08 ? null : string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section type {rest[0]}"), record);
            if (rest[0] != 0x7E)
                return new VmStateFormatException(VmStateError.BadFooter, at, expected, string.Create(CultureInfo.InvariantCulture, $"0x{rest[0]:x2}"),
                    FooterMessages.Missing(h.Idstr), record);
            if (rest.Length < 5)
                return new VmStateFormatException(VmStateError.BadFooter, at, expected, "0x7e and the start of the section's real footer", null, record);
            uint read = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
            // A matching id there passes QEMU's check, and QEMU reads the rest of the data as records: no one message.
            return new VmStateFormatException(VmStateError.BadFooter, at + 1, expected, "section id " + read.ToString(CultureInfo.InvariantCulture),
                read == h.SectionId ? null : FooterMessages.Mismatched(h.Idstr, read, h.SectionId), record);
        }

        // §14.4: configuration_post_load compares over the received length.
        private void CheckMachine(ConfigurationSection config, long at)
        {
            var local = options.MachineType;
            if (local is not null && !local.StartsWith(config.Machine, StringComparison.Ordinal))
                throw new VmStateFormatException(VmStateError.BadConfiguration, at, "machine type " + local, config.Machine,
                    $"Machine type received is '{config.Machine}' and local is '{local}'");
        }

        // qemu_loadvm_state: after EOF a trailer is read and dropped, whatever it holds (a cut or damaged one too);
        // any other byte, or the end of the data, is only a warning.
        private void ProbeTrailer(VmStateReader r)
        {
            long at = r.Position;
            bool trailer = false;
            try
            {
                while (r.Read()) trailer |= r.RecordType == RecordType.VmDescription;
            }
            catch (VmStateFormatException)
            {
                trailer = true;
            }
            foreach (var d in r.Diagnostics)
                if (d.Kind == DiagnosticKind.NoTrailer) Report.WarningsList.Add(d);
            if (!trailer && Report.Warnings.Count == 0)
                Report.WarningsList.Add(new Diagnostic(at, "Expected vmdescription section, but got 0") { Kind = DiagnosticKind.NoTrailer });
        }
    }

    private static VmStateFormatException UnknownType(long at, byte type) =>
        new(VmStateError.UnknownRecordType, at, "a section record (0x04 FULL), or 0x00 EOF", string.Create(CultureInfo.InvariantCulture, $"0x{type:x2}"),
            string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section type {type}"));

    // The loader's send-configuration is on and the byte after the header is not 0x07 (§3).
    private static VmStateFormatException ConfigurationMissing(System.IO.Stream input, long origin)
    {
        int b = ByteAt(input, origin, 8);
        return new VmStateFormatException(VmStateError.BadConfiguration, 8, "the configuration section (0x07)",
            b == -1 ? "the end of the data" : b == -2 ? "another record" : string.Create(CultureInfo.InvariantCulture, $"0x{b:x2}"), "Configuration section missing");
    }

    // The byte at offset `at` of a seekable input (-1 past its end, -2 when the input cannot tell), its position kept.
    private static int ByteAt(System.IO.Stream input, long origin, long at)
    {
        if (origin < 0 || !input.CanSeek) return -2;
        long keep = input.Position;
        try
        {
            input.Position = origin + at;
            return input.ReadByte();
        }
        finally
        {
            input.Position = keep;
        }
    }
}
