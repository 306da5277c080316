namespace Qevm.Edit;

/// <summary>
/// Changes fields of a stream by path (<c>cpu#0/env.regs[0]=0x1122334455667788</c>) and writes the stream again:
/// changed sections are encoded from their edited trees, every other record is copied byte for byte. Every edit is
/// checked before anything is written.
/// </summary>
public static class StateEditor
{
    /// <summary>
    /// Reads the stream <paramref name="openInput"/> opens (decoding with its trailer, then <paramref name="schemas"/>),
    /// applies <paramref name="edits"/>, and writes the edited stream to <paramref name="output"/>, opening the input a
    /// second time to copy it. Throws <see cref="ArgumentException"/> for an unknown path, a section without a
    /// description, a container path or a value that does not fit, before writing anything.
    /// </summary>
    public static void Edit(Func<System.IO.Stream> openInput, System.IO.Stream output, IEnumerable<(string Path, string Value)> edits, IReadOnlyList<ISchemaSource>? schemas = null)
    {
        ArgumentNullException.ThrowIfNull(openInput);
        ArgumentNullException.ThrowIfNull(output);
        StateDump dump;
        using (var first = openInput()) dump = StateDump.Read(first, schemas);
        var replacements = Apply(dump, edits);
        using var second = openInput();
        StreamCopier.Copy(second, output, null, replacements);
    }

    // The new data of each changed FULL section, keyed by its record offset, for StreamCopier.
    internal static Dictionary<long, byte[]> Apply(StateDump dump, IEnumerable<(string Path, string Value)> edits)
    {
        ArgumentNullException.ThrowIfNull(dump);
        ArgumentNullException.ThrowIfNull(edits);
        var planned = new List<(SectionState Section, VmValue Value, string Text)>();
        foreach (var (path, text) in edits)
        {
            var resolved = FieldPath.Resolve(dump.Sections, path);
            if (resolved is null)
            {
                var section = FindSection(dump, path);
                throw new ArgumentException(section is { Root: null }
                    ? $"{path}: section {section.Path} has no description that fits its bytes (a schema would help)"
                    : $"{path}: no such field (the paths are those a dump of the stream shows)");
            }
            var (s, v) = resolved.Value;
            // Parse on a copy first: a bad value must not leave a half-edited tree behind.
            var probe = Probe(v);
            ValueParser.Set(probe, text);
            planned.Add((s, v, text));
        }
        var changed = new Dictionary<long, byte[]>();
        foreach (var (s, v, text) in planned)
        {
            ValueParser.Set(v, text);
            changed[s.RecordOffset] = VmStateCodec.Encode(s.Root!);
        }
        return changed;
    }

    private static SectionState? FindSection(StateDump dump, string path)
    {
        SectionState? best = null;
        foreach (var s in dump.Sections)
            if ((path.StartsWith(s.Path, StringComparison.Ordinal) || path.StartsWith(s.Header.Idstr + "/", StringComparison.Ordinal))
                && (best is null || s.Path.Length > best.Path.Length))
                best = s;
        return best;
    }

    private static VmValue Probe(VmValue v) => v switch
    {
        VmScalar s => new VmScalar { Bits = s.Bits, Size = s.Size, Type = s.Type },
        VmBytes b => new VmBytes { Bytes = b.Bytes },
        VmString s => new VmString { Bytes = s.Bytes },
        _ => v,
    };
}
