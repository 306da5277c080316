using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Qevm.Streams;

public sealed partial class VmStateReader
{
    // Lookahead a footer candidate needs to check the record after it: type, id, str8 idstr, instance, version.
    private const int NextRecordLookahead = 1 + 4 + 1 + 255 + 8 + 1;

    private void ReadStartOrFull(byte type)
    {
        long offset = _in.Position;
        if (!_in.Ensure(6) || !_in.Ensure(14 + _in.Peek(6)[5])) ThrowShortSectionHeader(offset);
        var h = _in.Peek(6);
        uint id = BinaryPrimitives.ReadUInt32BigEndian(h[1..]);
        int n = h[5];
        if (n == 0)
            throw new VmStateFormatException(VmStateError.BadSectionHeader, offset + 5, "an idstr length 1..255", "0",
                string.Create(CultureInfo.InvariantCulture, $"Unable to read ID string for section {id}"));
        var full = _in.Peek(6 + n + 8);
        var idBytes = full.Slice(6, n).ToArray();
        uint instance = BinaryPrimitives.ReadUInt32BigEndian(full[(6 + n)..]);
        uint version = BinaryPrimitives.ReadUInt32BigEndian(full[(10 + n)..]);
        var header = Intern(id, idBytes, instance, version);
        _sections[id] = header;
        Section = header;
        RecordType = type == 0x01 ? RecordType.SectionStart : RecordType.SectionFull;
        PayloadOffset = offset + 14 + n;
        _in.Advance(14 + n);
        if (type == 0x04)
        {
            PayloadLength = DelimitFull(header);
            _pending = (int)PayloadLength;
            _fullIndex++;
            _awaitFooter = true;
        }
        else
        {
            _startedIds.Add(id);
            BeginItems(header);
        }
    }

    private readonly HashSet<uint> _startedIds = [];

    // qemu_loadvm_section_start_full on a header the input cuts: missing bytes read as zeros; a short idstr fails
    // qemu_get_counted_string, a short instance/version is a file error.
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowShortSectionHeader(long offset)
    {
        var have = _in.Buffered;
        Span<byte> id = stackalloc byte[4];
        have[1..Math.Min(have.Length, 5)].CopyTo(id);
        uint sectionId = BinaryPrimitives.ReadUInt32BigEndian(id);
        bool idstrRead = have.Length >= 6 && have[5] > 0 && have.Length >= 6 + have[5];
        throw new VmStateFormatException(VmStateError.Truncated, offset + have.Length,
            "the rest of the section header (be32 id, str8 idstr, be32 instance, be32 version)", "end of data",
            idstrRead
                ? "qemu_loadvm_section_start_full: Failed to read instance/version ID: -5"
                : string.Create(CultureInfo.InvariantCulture, $"Unable to read ID string for section {sectionId}"));
    }

    private void ReadPartOrEnd(byte type)
    {
        long offset = _in.Position;
        uint id = BinaryPrimitives.ReadUInt32BigEndian(_in.Peek(5)[1..]);
        if (!_sections.TryGetValue(id, out var header))
            throw new VmStateFormatException(VmStateError.UnknownSection, offset + 1, "the id of a section started earlier",
                id.ToString(CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"Unknown savevm section {id}"));
        Section = header;
        RecordType = type == 0x02 ? RecordType.SectionPart : RecordType.SectionEnd;
        PayloadOffset = offset + 5;
        _in.Advance(5);
        BeginItems(header);
    }

    // Reuses the header object of a section id seen before, so PART/END records allocate nothing.
    private SectionHeader Intern(uint id, byte[] idBytes, uint instance, uint version)
    {
        if (_sections.TryGetValue(id, out var h) && h.InstanceId == instance && h.VersionId == version && h.IdstrBytes.AsSpan().SequenceEqual(idBytes))
            return h;
        return new SectionHeader(id, Encoding.Latin1.GetString(idBytes), instance, version) { IdstrBytes = idBytes };
    }

    private bool TryReadFooter()
    {
        var header = Section!;
        long offset = _in.Position;
        if (HasFooters == false) return false;
        bool present = _in.Ensure(5) && _in.Peek(1)[0] == 0x7E;
        if (!present)
        {
            if (HasFooters == true)
            {
                string found = _in.Ensure(1) ? "0x" + _in.Peek(1)[0].ToString("x2", CultureInfo.InvariantCulture) : "end of data";
                throw new VmStateFormatException(VmStateError.BadFooter, offset,
                    FooterMessages.Expected(header.SectionId), found,
                    FooterMessages.Missing(header.Idstr), DescribeSection(header));
            }
            HasFooters = false;
            return false;
        }
        uint id = BinaryPrimitives.ReadUInt32BigEndian(_in.Peek(5)[1..]);
        if (id != header.SectionId)
            throw new VmStateFormatException(VmStateError.BadFooter, offset + 1,
                FooterMessages.Expected(header.SectionId), "section id " + id.ToString(CultureInfo.InvariantCulture),
                FooterMessages.Mismatched(header.Idstr, id, header.SectionId),
                DescribeSection(header));
        HasFooters = true;
        RecordType = RecordType.SectionFooter;
        RecordOffset = offset;
        PayloadOffset = offset + 5;
        PayloadLength = 0;
        _in.Advance(5);
        return true;
    }

    private string DescribeSection(SectionHeader h) =>
        string.Create(CultureInfo.InvariantCulture, $"{TypeName(RecordType)} {h.SectionId} '{h.Idstr}' #{h.InstanceId} at 0x{RecordOffset:x}");

    /// <summary>
    /// Length of a FULL section's data: a built-in layout or the description gives it, the footer confirms it
    /// (and wins when they disagree, §9.4); without either, footer candidates are checked against the next record.
    /// </summary>
    private long DelimitFull(SectionHeader h)
    {
        _describedPastEnd = false;
        long? described = BuiltinLength(h);
        bool haveDescription = described is not null;
        if (described is null && _description is Trailer t && t.TryGetDevice(h.Idstr, h.InstanceId, out _))
        {
            haveDescription = true;
            var d = t.GetDescription(h.Idstr, h.InstanceId);
            described = d is null ? null : d.IsOldStyle ? OldStyleSize(d) : Measure(d);
        }
        else if (described is null && _description is not null and not Trailer && _description.Describe(h).FirstOrDefault() is { } d)
        {
            haveDescription = true;
            described = d.IsOldStyle ? OldStyleSize(d) : Measure(d);
        }
        if (HasFooters != false)
        {
            // The description and a footer with the right id agree: that is the end, whatever follows (a broken
            // next record is then reported as itself, as QEMU does).
            if (described is { } d && IsFooterAt(d, h.SectionId, requirePlausibleNext: false))
            {
                HasFooters = true;
                return d;
            }
            long found = ScanForFooter(h.SectionId);
            if (found >= 0)
            {
                if (haveDescription) _mismatches.Add(new DescriptionMismatch(h.Idstr, h.InstanceId, h.SectionId, described, found));
                return found;
            }
            if (HasFooters == true && FirstFooterCandidate(h.SectionId) is { } candidate and >= 0)
            {
                // No footer is followed by a valid record: take the first one with the right id; what follows it
                // is reported next.
                if (haveDescription) _mismatches.Add(new DescriptionMismatch(h.Idstr, h.InstanceId, h.SectionId, described, candidate));
                return candidate;
            }
            if (described is { } cut and < int.MaxValue - 5 && _in.Ensure((int)cut) && EndsInside(described))
                ThrowCutInFooter(h, cut);
            if (EndsInside(described) || _describedPastEnd)
            {
                // The input ends inside the section (§2.4: QEMU's reads then fail with -EIO).
                throw new VmStateFormatException(VmStateError.Truncated, _in.Position + _in.Available,
                    "the rest of the section's data and its footer", "end of data",
                    string.Create(CultureInfo.InvariantCulture, $"error while loading state for instance 0x{h.InstanceId:x} of device '{h.Idstr}'; load of migration failed: Input/output error"),
                    DescribeSection(h));
            }
            long at = described ?? -1;
            if (HasFooters == true && at < 0) at = FindFooterOfAnyId();
            if (HasFooters == true && at >= 0 && PeekFromHere(at, 5) is [0x7E, _, _, _, _] f)
            {
                uint read = BinaryPrimitives.ReadUInt32BigEndian(f[1..]);
                throw new VmStateFormatException(VmStateError.BadFooter, PayloadOffset + at + 1,
                    FooterMessages.Expected(h.SectionId), "section id " + read.ToString(CultureInfo.InvariantCulture),
                    FooterMessages.Mismatched(h.Idstr, read, h.SectionId),
                    DescribeSection(h));
            }
            if (HasFooters == true)
                throw new VmStateFormatException(VmStateError.BadFooter, PayloadOffset + (described ?? 0),
                    string.Create(CultureInfo.InvariantCulture, $"the section's data closed by footer 0x7E + be32 {h.SectionId} and a valid next record"),
                    "no such footer before the end of data", FooterMessages.Missing(h.Idstr), DescribeSection(h));
        }
        if (described is { } len && IsPlausibleNext(len))
        {
            HasFooters = false;
            return len;
        }
        if (described is { } slot && HasFooters != false && IsPlausibleNext(slot + 5) && PeekFromHere(slot, 5) is { Length: 5 } damaged)
        {
            // The data ends where described and a record follows 5 bytes later: the footer there is damaged.
            HasFooters = true;
            if (damaged[0] != 0x7E)
                throw new VmStateFormatException(VmStateError.BadFooter, PayloadOffset + slot,
                    FooterMessages.Expected(h.SectionId), "0x" + damaged[0].ToString("x2", CultureInfo.InvariantCulture),
                    FooterMessages.Missing(h.Idstr), DescribeSection(h));
            uint other = BinaryPrimitives.ReadUInt32BigEndian(damaged[1..]);
            throw new VmStateFormatException(VmStateError.BadFooter, PayloadOffset + slot + 1,
                FooterMessages.Expected(h.SectionId), "section id " + other.ToString(CultureInfo.InvariantCulture),
                FooterMessages.Mismatched(h.Idstr, other, h.SectionId),
                DescribeSection(h));
        }
        throw new VmStateFormatException(VmStateError.NeedsSchema, PayloadOffset,
            "a section footer or a description (JSON trailer) that delimits the data of '" + h.Idstr + "'",
            haveDescription ? "a description that does not fit the bytes" : "neither (give a schema: a migration stream of the same QEMU with its trailer)",
            record: DescribeSection(h));
    }

    // check_section_footer when the input ends inside the footer after the described data: the mark cannot be read
    // (a file error), or it is read and the id's missing bytes read as zeros; a matching id passes, and the next
    // record type then cannot be read.
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowCutInFooter(SectionHeader h, long at)
    {
        var f = _in.Buffered[(int)at..];
        long end = _in.Position + _in.Available;
        string expected = FooterMessages.Expected(h.SectionId);
        if (f.IsEmpty)
            throw new VmStateFormatException(VmStateError.Truncated, end, expected, "end of data",
                "check_section_footer: Read section footer failed: -5", DescribeSection(h));
        if (f[0] != 0x7E)
            throw new VmStateFormatException(VmStateError.BadFooter, PayloadOffset + at, expected, "0x" + f[0].ToString("x2", CultureInfo.InvariantCulture),
                FooterMessages.Missing(h.Idstr), DescribeSection(h));
        Span<byte> id = stackalloc byte[4];
        f[1..].CopyTo(id);
        uint read = BinaryPrimitives.ReadUInt32BigEndian(id);
        if (read != h.SectionId)
            throw new VmStateFormatException(VmStateError.BadFooter, PayloadOffset + at + 1, expected, "a cut section id",
                FooterMessages.Mismatched(h.Idstr, read, h.SectionId),
                DescribeSection(h));
        throw new VmStateFormatException(VmStateError.Truncated, end, expected + " and a record type byte", "end of data",
            "load of migration failed: Input/output error", DescribeSection(h));
    }

    // The section is not delimited yet: decode the description over what is buffered, reading more while the
    // description wants more bytes than there are (§13.11).
    private long? Measure(VmStateDescription d)
    {
        _describedPastEnd = false;
        int want = 1 << 16;
        while (true)
        {
            bool all = !_in.Ensure(want);
            try
            {
                return VmStateCodec.Measure(d, _in.Buffered, PayloadOffset);
            }
            catch (VmStateFormatException e) when (e.Error == VmStateError.Truncated && !all && want < _options.MaxRecordLength / 2)
            {
                want *= 2;
            }
            catch (VmStateFormatException e)
            {
                // The description wants more bytes than the input has: a cut section, unless a footer says otherwise.
                _describedPastEnd = e.Error == VmStateError.Truncated && all;
                return null;
            }
        }
    }

    private bool _describedPastEnd;

    private static long? OldStyleSize(VmStateDescription d)
    {
        long n = 0;
        foreach (var f in d.Fields) n += (long)f.Size * f.Count.Value;
        return n;
    }

    // Old-style sections whose layout QEMU fixes (§15.1).
    private long? BuiltinLength(SectionHeader h)
    {
        switch (h.Idstr)
        {
            case "todclock":
                if (!_in.Ensure(1)) return null;
                return _in.Peek(1)[0] == 0 ? 1 : 10;
            case "s390-skeys":
                long pos = 0;
                while (true)
                {
                    var rec = PeekFromHere(pos, 8);
                    if (rec.IsEmpty) return null;
                    ulong v = BinaryPrimitives.ReadUInt64BigEndian(rec);
                    switch (v & 0xFFF)
                    {
                        case 0x01:
                            return pos + 8;
                        case 0x02:
                            var count = PeekFromHere(pos + 8, 8);
                            if (count.IsEmpty) return null;
                            ulong c = BinaryPrimitives.ReadUInt64BigEndian(count);
                            if (c > (ulong)_options.MaxRecordLength) return null;
                            pos += 16 + (long)c;
                            break;
                        default:
                            return null;
                    }
                }
            default:
                return null;
        }
    }

    // The count bytes at pos from the cursor, not consumed; empty when the input ends first.
    private ReadOnlySpan<byte> PeekFromHere(long pos, int count)
    {
        if (pos < 0 || pos + count > _options.MaxRecordLength || !_in.Ensure((int)(pos + count))) return [];
        return _in.Peek((int)(pos + count)).Slice((int)pos, count);
    }

    private bool IsFooterAt(long pos, uint id, bool requirePlausibleNext = true)
    {
        var f = PeekFromHere(pos, 5);
        return f.Length == 5 && f[0] == 0x7E && BinaryPrimitives.ReadUInt32BigEndian(f[1..]) == id && (!requirePlausibleNext || IsPlausibleNext(pos + 5));
    }

    // Whether the input ends before the section can: shorter than its description, or (no description) no
    // footer with any id left in the rest of the data.
    private bool EndsInside(long? described)
    {
        if (described is { } want) return want + 5 > int.MaxValue || !_in.Ensure((int)(want + 5));
        bool atEnd = _in.Available < _options.MaxRecordLength && !_in.Ensure(_in.Available + 1);
        // A stream that still ends with EOF (0x00) was not cut: its footer is missing instead.
        var rest = _in.Buffered;
        return atEnd && HasFooters == true && FindFooterOfAnyId() < 0 && (rest.IsEmpty || rest[^1] != 0x00);
    }

    // After a failed scan everything up to the end (or the limit) is buffered: the first 0x7E + be32 id, or -1.
    private long FirstFooterCandidate(uint id)
    {
        Span<byte> pattern = [0x7E, 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32BigEndian(pattern[1..], id);
        return _in.Buffered.IndexOf(pattern);
    }

    /// <summary>First footer candidate (0x7E + be32 id) followed by a plausible record; -1 when none.</summary>
    internal long ScanForFooter(uint id)
    {
        int from = 0;
        Span<byte> pattern = [0x7E, 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32BigEndian(pattern[1..], id);
        while (true)
        {
            long want = Math.Min((long)_options.MaxRecordLength, (long)Math.Max(_in.Available, 1 << 16) * 2);
            bool more = _in.Ensure((int)Math.Max(want, from + 5 + NextRecordLookahead));
            var data = _in.Buffered;
            int limit = more ? data.Length - NextRecordLookahead : data.Length;
            while (from + 5 <= limit)
            {
                int i = data[from..limit].IndexOf(pattern);
                if (i < 0) break;
                int c = from + i;
                if (IsPlausibleNext(c + 5)) return c;
                from = c + 1;
            }
            from = Math.Max(from, limit - 4);
            if (!more || _in.Available >= _options.MaxRecordLength) return -1;
        }
    }

    // After a failed scan everything up to the end (or the limit) is buffered: a 0x7E followed by a plausible
    // record is a footer naming another section (QEMU's "Mismatched section id in footer").
    private long FindFooterOfAnyId()
    {
        var data = _in.Buffered;
        for (int c = data.IndexOf((byte)0x7E); c >= 0 && c + 5 <= data.Length; )
        {
            if (IsPlausibleNext(c + 5)) return c;
            data = _in.Buffered;
            int next = data[(c + 1)..].IndexOf((byte)0x7E);
            c = next < 0 ? -1 : c + 1 + next;
        }
        return -1;
    }

    /// <summary>
    /// Whether a record can start at <paramref name="pos"/> (relative to the cursor): §9.4 step 3.
    /// </summary>
    private bool IsPlausibleNext(long pos)
    {
        if (pos > int.MaxValue - NextRecordLookahead) return false;
        // At the very end of the data the candidate stands: the missing next record is then reported as truncation.
        if (!_in.Ensure((int)pos + 1)) return _in.Available == pos;
        // A record the end of the data cuts is plausible: the cut is reported as itself.
        bool ended = !_in.Ensure((int)pos + NextRecordLookahead);
        var d = _in.Buffered[(int)pos..];
        if (Depth > 0 && _in.Position + pos == _packageEnds.Peek()) return true;
        switch (d[0])
        {
            case 0x00:
                if (Depth > 0) return false;
                if (d.Length == 1) return true;
                return d[1] == 0x06 && (d.Length < 7 || d[6] == (byte)'{');
            case 0x01:
            case 0x04:
                if (d.Length < 6) return ended;
                int n = d[5];
                if (n == 0) return false;
                foreach (var ch in d[6..Math.Min(d.Length, 6 + n)])
                    if (ch is < 0x20 or > 0x7E) return false;
                if (d.Length < 14 + n) return ended;
                uint version = BinaryPrimitives.ReadUInt32BigEndian(d[(10 + n)..]);
                if (version > 0xFFFF) return false;
                uint id = BinaryPrimitives.ReadUInt32BigEndian(d[1..]);
                if (_sections.TryGetValue(id, out var known) && !known.IdstrBytes.AsSpan().SequenceEqual(d.Slice(6, n))) return false;
                if (d[0] == 0x04 && OwnTrailer is { } t && ReferenceEquals(_description, t) && _fullIndex + 1 < t.Devices.Count)
                {
                    var (name, inst) = t.Devices[_fullIndex + 1];
                    if (name != Encoding.Latin1.GetString(d.Slice(6, n)) || inst != BinaryPrimitives.ReadUInt32BigEndian(d[(6 + n)..]))
                        return false;
                }
                return true;
            case 0x02:
            case 0x03:
                // Only iterative sections continue with PART/END: device data often holds 02/03 + a FULL section's id.
                if (d.Length < 5) return ended;
                return _startedIds.Contains(BinaryPrimitives.ReadUInt32BigEndian(d[1..]));
            case 0x08:
                if (d.Length < 5) return ended;
                ushort cmd = BinaryPrimitives.ReadUInt16BigEndian(d[1..]);
                ushort len = BinaryPrimitives.ReadUInt16BigEndian(d[3..]);
                int fixedLen = MigCommands.FixedLength(cmd);
                return MigCommands.IsKnown(cmd) && (fixedLen < 0 || fixedLen == len);
            default:
                return false;
        }
    }
}
