using System.Globalization;

namespace Qevm;

/// <summary>
/// The differences between two streams: FULL sections only in one of them, fields whose values differ (with
/// paths <c>set</c> accepts), sections compared as raw bytes when no description fits, and RAM pages per block.
/// </summary>
public sealed class StateDiff
{
    /// <summary>Section paths only in A.</summary>
    public List<string> OnlyInA { get; } = [];

    /// <summary>Section paths only in B.</summary>
    public List<string> OnlyInB { get; } = [];

    /// <summary>Fields (or whole raw sections) whose values differ: path, value in A, value in B (null when absent).</summary>
    public List<(string Path, string? A, string? B)> Fields { get; } = [];

    /// <summary>RAM blocks with pages that differ.</summary>
    public List<(string Block, long Pages)> Ram { get; } = [];

    /// <summary>True when nothing differs.</summary>
    public bool Equal => OnlyInA.Count == 0 && OnlyInB.Count == 0 && Fields.Count == 0 && Ram.Count == 0;

    /// <summary>Compares two decoded streams (and, when given, their RAM images).</summary>
    public static StateDiff Compare(StateDump a, StateDump b, RamImage? ramA = null, RamImage? ramB = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var diff = new StateDiff();
        var inB = new Dictionary<string, SectionState>();
        foreach (var s in b.Sections) inB.TryAdd(s.Path, s);
        var seen = new HashSet<string>();
        foreach (var sa in a.Sections)
        {
            seen.Add(sa.Path);
            if (!inB.TryGetValue(sa.Path, out var sb))
            {
                diff.OnlyInA.Add(sa.Path);
                continue;
            }
            if (sa.Header.VersionId != sb.Header.VersionId)
                diff.Fields.Add((sa.Path + " (version)", sa.Header.VersionId.ToString(CultureInfo.InvariantCulture), sb.Header.VersionId.ToString(CultureInfo.InvariantCulture)));
            if (sa.Root is not null && sb.Root is not null)
            {
                var la = Leaves(sa);
                var lb = Leaves(sb);
                foreach (var (path, va) in la)
                {
                    lb.TryGetValue(path, out var vb);
                    if (va != vb) diff.Fields.Add((path, va, vb));
                }
                foreach (var (path, vb) in lb)
                    if (!la.ContainsKey(path)) diff.Fields.Add((path, null, vb));
            }
            else if (!sa.Payload.AsSpan().SequenceEqual(sb.Payload))
            {
                diff.Fields.Add((sa.Path, Convert.ToHexStringLower(sa.Payload), Convert.ToHexStringLower(sb.Payload)));
            }
        }
        foreach (var sb in b.Sections)
            if (!seen.Contains(sb.Path)) diff.OnlyInB.Add(sb.Path);
        if (ramA is not null && ramB is not null) diff.Ram.AddRange(RamImage.Compare(ramA, ramB));
        return diff;
    }

    private static Dictionary<string, string> Leaves(SectionState s)
    {
        var leaves = new Dictionary<string, string>();
        void Walk(VmValue v, string path)
        {
            switch (v)
            {
                case VmStruct st:
                    foreach (var (n, m) in st.Members) Walk(m, path + "/" + FieldPath.Segment(st, n));
                    break;
                case VmArray arr:
                    for (int i = 0; i < arr.Elements.Count; i++) Walk(arr.Elements[i], path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]");
                    break;
                default:
                    leaves[path] = Format(v);
                    break;
            }
        }
        Walk(s.Root!, s.Path);
        return leaves;
    }

    /// <summary>A value as <c>set</c> accepts it back.</summary>
    public static string Format(VmValue v) => v switch
    {
        VmScalar { Type: VmStateType.Bool } b => b.Bits != 0 ? "true" : "false",
        VmScalar { Type: VmStateType.Int } i when i.AsInt64 < 0 => i.AsInt64.ToString(CultureInfo.InvariantCulture),
        VmScalar s => "0x" + s.Bits.ToString("x", CultureInfo.InvariantCulture),
        VmBytes b => Convert.ToHexStringLower(b.Bytes),
        VmString s => s.Text,
        VmNull => "NULL",
        _ => "?",
    };
}
