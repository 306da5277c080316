using System.Globalization;

namespace Qevm.Edit;

/// <summary>
/// The differences between two streams: FULL sections only in one of them, fields whose values differ (with
/// paths <c>set</c> accepts), sections compared as raw bytes when no description fits, and RAM pages per block.
/// </summary>
public sealed class StateDiff
{
    /// <summary>Section paths only in A.</summary>
    public IReadOnlyList<string> OnlyInA => _onlyInA;

    /// <summary>Section paths only in B.</summary>
    public IReadOnlyList<string> OnlyInB => _onlyInB;

    /// <summary>Fields (or whole raw sections) whose values differ: path, value in A, value in B (null when absent).</summary>
    public IReadOnlyList<FieldDifference> Fields => _fields;

    /// <summary>RAM blocks with pages that differ.</summary>
    public IReadOnlyList<RamDifference> Ram => _ram;

    private readonly List<string> _onlyInA = [];
    private readonly List<string> _onlyInB = [];
    private readonly List<FieldDifference> _fields = [];
    private readonly List<RamDifference> _ram = [];

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
                diff._onlyInA.Add(sa.Path);
                continue;
            }
            if (sa.Header.VersionId != sb.Header.VersionId)
                diff._fields.Add(new(sa.Path + " (version)", sa.Header.VersionId.ToString(CultureInfo.InvariantCulture), sb.Header.VersionId.ToString(CultureInfo.InvariantCulture)));
            if (sa.Root is not null && sb.Root is not null)
            {
                var la = Leaves(sa);
                var lb = Leaves(sb);
                foreach (var (path, va) in la)
                {
                    lb.TryGetValue(path, out var vb);
                    if (va != vb) diff._fields.Add(new(path, va, vb));
                }
                foreach (var (path, vb) in lb)
                    if (!la.ContainsKey(path)) diff._fields.Add(new(path, null, vb));
            }
            else if (!sa.Payload.AsSpan().SequenceEqual(sb.Payload))
            {
                diff._fields.Add(new(sa.Path, Convert.ToHexStringLower(sa.Payload), Convert.ToHexStringLower(sb.Payload)));
            }
        }
        foreach (var sb in b.Sections)
            if (!seen.Contains(sb.Path)) diff._onlyInB.Add(sb.Path);
        if (ramA is not null && ramB is not null) foreach (var (block, pages) in RamImage.Compare(ramA, ramB)) diff._ram.Add(new(block, pages));
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
