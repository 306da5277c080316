using System.Globalization;

namespace Qevm.Codec;

/// <summary>
/// Field paths as <c>dump</c> prints them: <c>IDSTR</c> or <c>IDSTR#INSTANCE</c>, then member names joined by
/// <c>/</c>, array elements as <c>[i]</c>, subsections by their name. Idstrs and names may contain <c>/</c>,
/// <c>.</c>, <c>:</c> and <c>[k]</c>, so each step matches the longest known name.
/// </summary>
public static class FieldPath
{
    /// <summary>
    /// The path segment of a member: its name, or the name in double quotes when a longer member name starts
    /// with it and <c>[</c> (ARM's <c>env.vfp.xregs</c> array beside a field named <c>env.vfp.xregs[0]</c>), so that
    /// the array's elements keep a path of their own.
    /// </summary>
    public static string Segment(VmStruct parent, string name)
    {
        ArgumentNullException.ThrowIfNull(parent);
        foreach (var (other, _) in parent.Members)
            if (other.Length > name.Length && other.StartsWith(name, StringComparison.Ordinal) && other[name.Length] == '[')
                return "\"" + name + "\"";
        return name;
    }

    /// <summary>Finds the section and value a path names; null when it names nothing.</summary>
    public static (SectionState Section, VmValue Value)? Resolve(IReadOnlyList<SectionState> sections, string path)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(path);
        SectionState? best = null;
        int bestLength = -1;
        foreach (var s in sections)
        {
            foreach (var prefix in (string[])[s.Path, s.Header.InstanceId == 0 ? s.Header.Idstr : ""])
            {
                if (prefix.Length == 0 || prefix.Length <= bestLength || !path.StartsWith(prefix, StringComparison.Ordinal)) continue;
                if (path.Length != prefix.Length && path[prefix.Length] != '/') continue;
                best = s;
                bestLength = prefix.Length;
            }
        }
        if (best?.Root is null) return null;
        VmValue current = best.Root;
        int pos = bestLength;
        while (pos < path.Length)
        {
            if (path[pos] == '[' && current is VmArray array)
            {
                int close = path.IndexOf(']', pos);
                if (close < 0 || !int.TryParse(path.AsSpan(pos + 1, close - pos - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int i) || i >= array.Elements.Count)
                    return null;
                current = array.Elements[i];
                pos = close + 1;
            }
            else if (path[pos] == '/' && current is VmStruct quoted && pos + 1 < path.Length && path[pos + 1] == '"')
            {
                // "NAME": exactly that member, for names that other names would shadow.
                int close = path.IndexOf('"', pos + 2);
                if (close < 0 || quoted[path[(pos + 2)..close]] is not { } member) return null;
                current = member;
                pos = close + 1;
            }
            else if (path[pos] == '/' && current is VmStruct st)
            {
                string? match = null;
                foreach (var (name, _) in st.Members)
                {
                    if (path.Length - pos - 1 < name.Length || string.CompareOrdinal(path, pos + 1, name, 0, name.Length) != 0) continue;
                    int end = pos + 1 + name.Length;
                    if (end < path.Length && path[end] is not ('/' or '[')) continue;
                    if (match is null || name.Length > match.Length) match = name;
                }
                if (match is null) return null;
                current = st[match]!;
                pos += 1 + match.Length;
            }
            else
            {
                return null;
            }
        }
        return (best, current);
    }
}
