using System.Buffers;
using System.Globalization;

namespace Qevm.Codec;

/// <summary>
/// The VMState interpreter (QEMU's <c>vmstate_load_state</c> / <c>vmstate_save_state_v</c>): one field loop that
/// applies QEMU's rules (description versions, field versions, <c>field_exists</c>, counts from fields, the
/// subsection protocol) to decode section data into a value tree, measure it, or, from the engine's state,
/// capture the tree a save writes. <see cref="Encode(VmStruct)"/> writes a tree back as bytes.
/// </summary>
public static class VmStateCodec
{
    private const int MaxDepth = 64;

    /// <summary>
    /// Decodes <paramref name="data"/> (a FULL section's data, at offset <paramref name="offset"/> in the stream) as
    /// version <paramref name="versionId"/> (default: the description's) of <paramref name="description"/>.
    /// Throws <see cref="VmStateFormatException"/> when the bytes do not follow the description or are not all used.
    /// </summary>
    public static VmStruct Decode(VmStateDescription description, ReadOnlySpan<byte> data, long offset, int? versionId = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        var root = Decode(description, data, offset, versionId ?? description.VersionId, new DecodeContext(), out int consumed);
        if (consumed != data.Length)
            throw Mismatch(offset + consumed, string.Create(CultureInfo.InvariantCulture, $"the description of '{description.Name}' to use all {data.Length} bytes"),
                string.Create(CultureInfo.InvariantCulture, $"{data.Length - consumed} bytes left over"));
        return root;
    }

    /// <summary>
    /// The number of bytes version <paramref name="versionId"/> of <paramref name="description"/> takes at the start of
    /// <paramref name="data"/>: how a section without footers is delimited. Throws when the bytes do not follow it.
    /// </summary>
    public static int Measure(VmStateDescription description, ReadOnlySpan<byte> data, long offset, int? versionId = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        Decode(description, data, offset, versionId ?? description.VersionId, new DecodeContext(), out int consumed);
        return consumed;
    }

    /// <summary>Decodes as much of <paramref name="data"/> as the description covers; <paramref name="consumed"/> says how much.</summary>
    internal static VmStruct Decode(VmStateDescription description, ReadOnlySpan<byte> data, long offset, int versionId, DecodeContext context, out int consumed)
    {
        int pos = 0;
        var root = DecodeStruct(description, data, ref pos, offset, versionId, null, context, 0);
        consumed = pos;
        return root;
    }

    // vmstate_load_state.
    private static VmStruct DecodeStruct(VmStateDescription d, ReadOnlySpan<byte> data, ref int pos, long baseOffset, int version, uint? subVersion, DecodeContext c, int depth)
    {
        if (depth > MaxDepth) throw Mismatch(baseOffset + pos, "descriptions nested at most 64 deep", "deeper");
        CheckVersion(d, version, baseOffset + pos);
        var opaque = c.Opaque;
        if (opaque is not null) d.Hooks?.PreLoad?.Invoke(opaque);
        int start = pos;
        var s = new VmStruct { Description = d, SubsectionVersion = subVersion, Offset = baseOffset + pos };
        var fields = d.Fields;
        bool join = d.Origin is SchemaOrigin.Trailer or SchemaOrigin.Catalogue;
        for (int i = 0; i < fields.Count;)
        {
            // In a trailer, consecutive entries with one name are one array (non-compressible arrays, 10.0 nullptr runs).
            int j = i + 1;
            if (join)
                while (j < fields.Count && fields[j].Name == fields[i].Name) j++;
            var f = fields[i];
            if (!IsPresent(f, version, c))
            {
                i = j;
                continue;
            }
            try
            {
                int groupStart = pos;
                int n0 = Count(f, f.Count, s, c, baseOffset + pos);
                bool isArray = j - i > 1 || f.IsArray || !f.Count.IsFixed || n0 != 1;
                VmArray? array = isArray ? new VmArray { Offset = baseOffset + pos, Field = f } : null;
                VmValue? single = null;
                for (int k = i; k < j; k++)
                {
                    var fk = fields[k];
                    int n = k == i ? n0 : Count(fk, fk.Count, s, c, baseOffset + pos);
                    if (opaque is not null && fk.Binding is { } b && !fk.Count.IsFixed) b.Prepare(opaque, n);
                    for (int e = 0; e < n; e++)
                    {
                        var v = DecodeElement(fk, e, s, data, ref pos, baseOffset, c, depth);
                        if (array is not null) array.Add(v);
                        else single = v;
                    }
                }
                if (array is not null)
                {
                    array.Length = pos - groupStart;
                    s.Add(d.MemberName(i), array);
                }
                else if (single is not null)
                {
                    s.Add(d.MemberName(i), single);
                }
            }
            catch (VmStateFormatException e) when (c.Opaque is not null)
            {
                // vmstate_load_state prints this at every nesting level (§17.4).
                throw Wrap(e, "Failed to load " + d.Name + ":" + f.Name);
            }
            i = j;
        }
        if (d.SubsectionsOptional) DecodeSubsections(d, s, data, ref pos, baseOffset, c, depth);
        else DecodeListedSubsections(d, s, data, ref pos, baseOffset, c, depth);
        if (opaque is not null && d.Hooks?.PostLoad is { } postLoad)
        {
            try
            {
                postLoad(opaque, version);
            }
            catch (InvalidDataException e)
            {
                throw new VmStateFormatException(VmStateError.LoadRefused, baseOffset + pos, "values the post-load hook of '" + d.Name + "' accepts", e.Message, e.Message);
            }
        }
        s.Length = pos - start;
        return s;
    }

    // §5.3 rules 1 and 2, where the source knows the range (a trailer describes one version only).
    private static void CheckVersion(VmStateDescription d, int version, long offset)
    {
        if (d.MinimumVersionId is not { } min) return;
        if (version > d.VersionId)
            throw new VmStateFormatException(VmStateError.UnsupportedDescriptionVersion, offset,
                string.Create(CultureInfo.InvariantCulture, $"version {d.VersionId} or lower for '{d.Name}'"), version.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{d.Name}: incoming version_id {version} is too new for local version_id {d.VersionId}"));
        if (version < min)
            throw new VmStateFormatException(VmStateError.UnsupportedDescriptionVersion, offset,
                string.Create(CultureInfo.InvariantCulture, $"version {min} or higher for '{d.Name}'"), version.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{d.Name}: incoming version_id {version} is too old for local minimum version_id  {min}"));
    }

    // §5.3 rule 4: field_exists is the sole authority when set, else version_id <= V. A test that cannot be run
    // (no state, or -dump-vmstate's unknown outcome) is decided by the context, which can enumerate both outcomes.
    private static bool IsPresent(VmStateField f, int version, DecodeContext c) => IsOnWire(f, version, c.Opaque) ?? c.Decide();

    /// <summary>
    /// Whether field <paramref name="f"/> is on the wire when its description is loaded or saved with version
    /// <paramref name="version"/> (§5.3 rule 4); null when its <c>field_exists</c> test cannot be run here.
    /// </summary>
    public static bool? IsOnWire(VmStateField f, int version, object? opaque = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.Exists switch
        {
            null => f.VersionId <= version,
            FieldExists.Predicate p when opaque is not null => p.Test(opaque, version),
            _ => null,
        };
    }

    // vmstate_n_elems / vmstate_size: a fixed count, a field decoded before (or the state), times a factor.
    private static int Count(VmStateField f, ElementCount count, VmStruct decoded, DecodeContext c, long offset)
    {
        if (count.IsFixed) return count.Value;
        long n;
        if (count.FromState is { } fromState)
        {
            if (c.Opaque is null)
                throw new VmStateFormatException(VmStateError.NeedsSchema, offset, "the state that gives the count of '" + f.Name + "'", "none (a description without its device)");
            n = fromState(c.Opaque);
        }
        else if (decoded[count.Field!] is VmScalar sc)
        {
            n = sc.Type == VmStateType.Int ? sc.AsInt64 : (long)Math.Min(sc.Bits, long.MaxValue);
        }
        else if (c.Opaque is not null && FindField(decoded.Description, count.Field!) is { Binding: { } b })
        {
            n = (long)b.GetBits(c.Opaque, 0);
        }
        else
        {
            throw Mismatch(offset, "the field '" + count.Field + "' that gives the count of '" + f.Name + "' before it", "no such field");
        }
        n *= count.Multiply;
        if (n < 0 || n > int.MaxValue)
            throw Mismatch(offset, "a count of 0.." + int.MaxValue.ToString(CultureInfo.InvariantCulture) + " for '" + f.Name + "'", n.ToString(CultureInfo.InvariantCulture));
        return (int)n;
    }

    private static VmStateField? FindField(VmStateDescription d, string name)
    {
        foreach (var f in d.Fields)
            if (f.Name == name) return f;
        return null;
    }

    // The listed subsections of a trailer follow, exactly and in order.
    private static void DecodeListedSubsections(VmStateDescription d, VmStruct s, ReadOnlySpan<byte> data, ref int pos, long baseOffset, DecodeContext c, int depth)
    {
        foreach (var sub in d.Subsections)
        {
            int at = pos;
            if (!SubsectionHeader.TryRead(data[pos..], out var name, out uint version, out int headerLength))
                throw new VmStateFormatException(VmStateError.Truncated, baseOffset + data.Length, "subsection 0x05 '" + sub.Name + "'", "the end of the data");
            if (!SubsectionHeader.NameEquals(name, sub.Name))
                throw Mismatch(baseOffset + pos, "subsection 0x05 '" + sub.Name + "'", "other bytes");
            pos += headerLength;
            AddSubsection(s, sub, data, ref pos, at, baseOffset, version, c, depth);
        }
    }

    // §8.2: vmstate_subsection_load, QEMU's peek protocol.
    private static void DecodeSubsections(VmStateDescription d, VmStruct s, ReadOnlySpan<byte> data, ref int pos, long baseOffset, DecodeContext c, int depth)
    {
        while (SubsectionHeader.Peek(data[pos..], d.Name, out var name, out uint version, out int headerLength))
        {
            if (headerLength < 0)
                throw new VmStateFormatException(VmStateError.Truncated, baseOffset + data.Length,
                    "the version of subsection '" + System.Text.Encoding.Latin1.GetString(name) + "'", "the end of the data");
            VmStateDescription? sub = null;
            foreach (var candidate in d.Subsections)
                if (SubsectionHeader.NameEquals(name, candidate.Name)) sub = candidate;
            if (sub is null)
            {
                // -ENOENT without a message of its own (§17.4).
                var known = d.Subsections.Count == 0 ? "none" : string.Join(", ", d.Subsections.Select(x => x.Name));
                throw new VmStateFormatException(VmStateError.UnknownSubsection, baseOffset + pos,
                    $"a subsection '{d.Name}' has (known: {known})", "'" + System.Text.Encoding.Latin1.GetString(name) + "'");
            }
            int at = pos;
            pos += headerLength;
            AddSubsection(s, sub, data, ref pos, at, baseOffset, version, c, depth);
        }
    }

    private static void AddSubsection(VmStruct s, VmStateDescription sub, ReadOnlySpan<byte> data, ref int pos, int at, long baseOffset, uint version, DecodeContext c, int depth)
    {
        // The loader keeps the subsection version in a uint8_t (§8.2 step 6); the tree keeps what was written.
        var body = DecodeStruct(sub, data, ref pos, baseOffset, (byte)version, version, c, depth + 1);
        body.Offset = baseOffset + at;
        body.Length = pos - at;
        s.Add(sub.Name, body);
    }

    private static VmValue DecodeElement(VmStateField f, int index, VmStruct parent, ReadOnlySpan<byte> data, ref int pos, long baseOffset, DecodeContext c, int depth)
    {
        int at = pos;
        var opaque = c.Opaque;
        var binding = opaque is null ? null : f.Binding;
        VmValue v;
        switch (f.Type)
        {
            case VmStateType.Struct or VmStateType.VStruct when f.Struct is not null:
                // §5.3: a struct is loaded with the nested description's own version.
                var saved = c.Opaque;
                if (binding is not null) c.Opaque = binding.GetElement(saved!, index);
                try
                {
                    v = DecodeStruct(f.Struct, data, ref pos, baseOffset, f.Struct.VersionId, null, c, depth + 1);
                }
                finally
                {
                    c.Opaque = saved;
                }
                break;
            case VmStateType.Tmp when f.Struct is not null:
                // A tmp's size covers its whole nested encoding: decode exactly that many bytes.
                Need(data, pos, f.Size, baseOffset, f);
                int inner = 0;
                var nested = data.Slice(pos, f.Size);
                var t = DecodeStruct(f.Struct, nested, ref inner, baseOffset + pos, f.Struct.VersionId, null, c, depth + 1);
                if (inner != f.Size) throw Mismatch(baseOffset + pos + inner, "the tmp '" + f.Name + "' to use its " + f.Size.ToString(CultureInfo.InvariantCulture) + " bytes", "a different length");
                pos += f.Size;
                v = t;
                break;
            case VmStateType.Nullptr:
                Need(data, pos, 1, baseOffset, f);
                if (data[pos] != 0x30) throw Mismatch(baseOffset + pos, "the NULL marker 0x30 of '" + f.Name + "'", "0x" + data[pos].ToString("x2", CultureInfo.InvariantCulture));
                pos++;
                v = new VmNull();
                break;
            case VmStateType.Capability:
                Need(data, pos, 1, baseOffset, f);
                int len = data[pos];
                Need(data, pos + 1, len, baseOffset, f);
                v = new VmString { Bytes = data.Slice(pos + 1, len).ToArray() };
                pos += 1 + len;
                break;
            case VmStateType.Int or VmStateType.UInt or VmStateType.Bool or VmStateType.Float64 when IsScalarSize(f):
                Need(data, pos, f.Size, baseOffset, f);
                ulong bits = 0;
                foreach (var b in data.Slice(pos, f.Size)) bits = bits << 8 | b;
                pos += f.Size;
                binding?.SetBits(opaque!, index, bits, baseOffset + at);
                v = new VmScalar { Bits = bits, Size = f.Size, Type = f.Type };
                break;
            default:
                int size = f.VariableSize is { } vs ? Count(f, vs, parent, c, baseOffset + pos) : f.Size;
                Need(data, pos, size, baseOffset, f);
                var bytes = data.Slice(pos, size);
                if (binding is not null && f.Type != VmStateType.UnusedBuffer) binding.SetBytes(opaque!, bytes);
                v = new VmBytes { Bytes = bytes.ToArray() };
                pos += size;
                break;
        }
        v.Offset = baseOffset + at;
        v.Length = pos - at;
        v.Field = f;
        return v;
    }

    private static bool IsScalarSize(VmStateField f) => f.Type switch
    {
        VmStateType.Bool => f.Size == 1,
        VmStateType.Float64 => f.Size == 8,
        _ => f.Size is 1 or 2 or 4 or 8,
    };

    private static void Need(ReadOnlySpan<byte> data, int pos, int count, long baseOffset, VmStateField f)
    {
        if (count < 0 || data.Length - pos < count)
            throw new VmStateFormatException(VmStateError.Truncated, baseOffset + data.Length,
                string.Create(CultureInfo.InvariantCulture, $"{count} bytes for '{f.Name}'"), "the end of the data");
    }

    private static VmStateFormatException Mismatch(long offset, string expected, string found) =>
        new(VmStateError.DescriptionMismatch, offset, expected, found);

    private static VmStateFormatException Wrap(VmStateFormatException e, string qemuLine) =>
        new(e.Error, e.Offset, e.Expected, e.Found, e.QemuMessage is null ? qemuLine : e.QemuMessage + "; " + qemuLine, e.Record);

    /// <summary>
    /// The tree a save of <paramref name="opaque"/> writes (<c>vmstate_save_state_v</c>): the pre-save hooks run,
    /// fields present by the same rules as on load, counts from the state, needed subsections.
    /// </summary>
    internal static VmStruct Capture(VmStateDescription d, object opaque) => CaptureStruct(d, opaque, d.VersionId, null, 0);

    private static VmStruct CaptureStruct(VmStateDescription d, object opaque, int version, uint? subVersion, int depth)
    {
        if (depth > MaxDepth) throw new InvalidOperationException("descriptions nested more than 64 deep");
        d.Hooks?.PreSave?.Invoke(opaque);
        var s = new VmStruct { Description = d, SubsectionVersion = subVersion };
        var c = new DecodeContext { Opaque = opaque };
        for (int i = 0; i < d.Fields.Count; i++)
        {
            var f = d.Fields[i];
            if (!IsPresent(f, version, c)) continue;
            var b = f.Binding ?? throw new InvalidOperationException("'" + f.Name + "' of '" + d.Name + "' is not bound to the state");
            int n = Count(f, f.Count, s, c, 0);
            bool isArray = f.IsArray || !f.Count.IsFixed || n != 1;
            var array = isArray ? new VmArray { Field = f } : null;
            for (int e = 0; e < n; e++)
            {
                VmValue v = f.Type switch
                {
                    VmStateType.Struct or VmStateType.VStruct when f.Struct is not null => CaptureStruct(f.Struct, b.GetElement(opaque, e), f.Struct.VersionId, null, depth + 1),
                    VmStateType.Int or VmStateType.UInt or VmStateType.Bool or VmStateType.Float64 when IsScalarSize(f) => new VmScalar { Bits = b.GetBits(opaque, e), Size = f.Size, Type = f.Type },
                    VmStateType.UnusedBuffer => new VmBytes { Bytes = new byte[SizeOf(f, s, c)] },
                    _ => new VmBytes { Bytes = b.GetBytes(opaque, SizeOf(f, s, c)).ToArray() },
                };
                v.Field = f;
                if (array is not null) array.Add(v);
                else s.Add(d.MemberName(i), v);
            }
            if (array is not null) s.Add(d.MemberName(i), array);
        }
        foreach (var sub in d.Subsections)
        {
            if (sub.Needed is { } needed && !needed(opaque)) continue;
            s.Add(sub.Name, CaptureStruct(sub, opaque, sub.VersionId, (uint)sub.VersionId, depth + 1));
        }
        return s;
    }

    private static int SizeOf(VmStateField f, VmStruct s, DecodeContext c)
    {
        int size = f.VariableSize is { } vs ? Count(f, vs, s, c, 0) : f.Size;
        if (size < 0) throw new InvalidOperationException($"'{f.Name}': a buffer size of {size}");
        return size;
    }

    /// <summary>Encodes a decoded (possibly edited) value tree: the bytes a FULL section's data holds.</summary>
    public static byte[] Encode(VmStruct root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var w = new ArrayBufferWriter<byte>(Math.Max(16, root.Length));
        Encode(root, w);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Encodes <paramref name="root"/> into <paramref name="output"/>.</summary>
    public static void Encode(VmStruct root, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(output);
        new Encoder(output, measure: false).Struct(root);
    }

    /// <summary>Encodes a tree the save just captured, giving every node its offset (from the data's start) and length.</summary>
    internal static void EncodeCaptured(VmStruct root, IBufferWriter<byte> output) => new Encoder(output, measure: true).Struct(root);

    private sealed class Encoder(IBufferWriter<byte> w, bool measure)
    {
        private long _written;

        public void Struct(VmStruct s)
        {
            long start = _written;
            foreach (var (name, value) in s.Members)
            {
                if (value is VmStruct sub && sub.SubsectionVersion is { } version)
                {
                    long at = _written;
                    SubsectionHeader.Write(w, name, version);
                    _written += 6 + System.Text.Encoding.Latin1.GetByteCount(name);
                    Struct(sub);
                    Measured(sub, at);
                }
                else
                {
                    Value(value);
                }
            }
            Measured(s, start);
        }

        private void Value(VmValue v)
        {
            long start = _written;
            switch (v)
            {
                case VmArray a:
                    foreach (var e in a.Elements) Value(e);
                    break;
                case VmStruct s:
                    Struct(s);
                    break;
                case VmScalar sc:
                    WriteBits(w, sc.Bits, sc.Size);
                    _written += sc.Size;
                    break;
                case VmBytes b:
                    w.Write(b.Bytes);
                    _written += b.Bytes.Length;
                    break;
                case VmString str:
                    w.Write([(byte)str.Bytes.Length]);
                    w.Write(str.Bytes);
                    _written += 1 + str.Bytes.Length;
                    break;
                case VmNull:
                    w.Write([(byte)0x30]);
                    _written++;
                    break;
            }
            Measured(v, start);
        }

        private void Measured(VmValue v, long start)
        {
            if (!measure) return;
            v.Offset = start;
            v.Length = checked((int)(_written - start));
        }
    }

    /// <summary>A scalar's low <paramref name="size"/> bytes, big-endian (§2.2): the one scalar writer.</summary>
    internal static void WriteBits(IBufferWriter<byte> w, ulong bits, int size)
    {
        var span = w.GetSpan(size);
        for (int i = 0; i < size; i++) span[i] = (byte)(bits >> (8 * (size - 1 - i)));
        w.Advance(size);
    }
}
