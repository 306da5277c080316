namespace Qevm;

/// <summary>
/// Changes fields of a decoded stream by path (<c>cpu#0/env.regs[0]=0x1122334455667788</c>) and gives the new data
/// of the sections it changed, for <see cref="StreamCopier"/>. Every edit is checked before any is applied.
/// </summary>
public static class StateEditor
{
    /// <summary>
    /// Applies <paramref name="edits"/> to <paramref name="dump"/>; returns the new data of each changed FULL
    /// section, keyed by its record offset. Throws <see cref="ArgumentException"/> for an unknown path, a section
    /// without description, a container path or a value that does not fit; then nothing has changed.
    /// </summary>
    public static Dictionary<long, byte[]> Apply(StateDump dump, IEnumerable<(string Path, string Value)> edits)
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
                    ? $"{path}: section {section.Path} has no description that fits its bytes (give --schema)"
                    : $"{path}: no such field (the paths are those `qevm dump` prints)");
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
