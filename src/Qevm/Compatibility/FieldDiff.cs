using System.Globalization;

namespace Qevm.Compatibility;

/// <summary>
/// Compares the wire layouts of one description in OLD (as written) and NEW (as read at the same version): fields
/// matched by path (longest common subsequence), then the runs between matches by place and size. Same place,
/// size and type under another name is a rename NEW reads rightly; any other difference shifts or misreads bytes.
/// </summary>
internal static class FieldDiff
{
    public static void Compare(string section, string prefix, WireLayout old, WireLayout @new, List<SchemaDiffFinding> findings)
    {
        var a = old.Fields;
        var b = @new.Fields;
        // A trailer omits arrays of 0 elements; -dump-vmstate gives no counts: any of its fields may be such an array.
        bool aOmits = a.Count > 0 && a.All(f => f.Elements is not null), bOmits = b.Count > 0 && b.All(f => f.Elements is not null);
        if (aOmits && !bOmits) b = [.. b.Select(f => f.Elements is null ? f with { MaybeEmpty = true } : f)];
        if (bOmits && !aOmits) a = [.. a.Select(f => f.Elements is null ? f with { MaybeEmpty = true } : f)];
        Walk(section, prefix, a, b, f => f.Path, findings, (x, y) => CompareRun(section, prefix, x, y, findings));
        // Fields NEW has only at a higher version, which OLD does not write: NEW does not read them either.
        var written = new HashSet<string>(a.Select(f => f.Path), StringComparer.Ordinal);
        foreach (var (path, f) in @new.NotAtVersion)
            if (!written.Contains(path))
                findings.Add(new SchemaDiffFinding(section, prefix + path, SchemaChange.FieldAdded, QemuReaction.Accept,
                    string.Create(CultureInfo.InvariantCulture, $"field '{path}' only in NEW, guarded by version {f.VersionId}: not read from this version")));
    }

    // Fields matched by key, the runs between matches handed to onRun.
    private static void Walk(string section, string prefix, IReadOnlyList<WireField> a, IReadOnlyList<WireField> b, Func<WireField, string> key,
        List<SchemaDiffFinding> findings, Action<List<WireField>, List<WireField>> onRun)
    {
        var bounds = Align(a, b, key);
        bounds.Add((a.Count, b.Count));
        int i = 0, j = 0;
        for (int k = 0; k < bounds.Count; k++)
        {
            var (pi, pj) = bounds[k];
            if (pi > i || pj > j) onRun(a.Skip(i).Take(pi - i).ToList(), b.Skip(j).Take(pj - j).ToList());
            i = pi + 1;
            j = pj + 1;
            if (pi >= a.Count || pj >= b.Count) continue;
            var (ni, nj) = bounds[k + 1];
            var runA = a.Skip(i).Take(ni - i).ToList();
            var runB = b.Skip(j).Take(nj - j).ToList();
            if (BufferSplit(section, prefix, a[pi], b[pj], runA, runB) is { } split)
            {
                findings.Add(split);
                (i, j) = (ni, nj);
                continue;
            }
            CompareMatched(section, prefix, a[pi], b[pj], findings);
        }
    }

    // A byte buffer cut short, its tail given to new fields (globalstate's runstate, 9.0): the same bytes on the
    // wire; the new fields read what was the old buffer's tail, which is padding when QEMU does this on purpose.
    private static SchemaDiffFinding? BufferSplit(string section, string prefix, WireField o, WireField n, List<WireField> runA, List<WireField> runB)
    {
        if (o.Size == n.Size || (o.Elements ?? 1) != 1 || (n.Elements ?? 1) != 1) return null;
        var (big, small, tail) = o.Size > n.Size ? (o, n, runB) : (n, o, runA);
        if ((o.Size > n.Size ? runA : runB).Count > 0 || tail.Count == 0) return null;
        if (big.Field.Type is not (VmStateType.Buffer or VmStateType.Opaque) || Total(tail) != big.Size - small.Size) return null;
        string detail = o.Size > n.Size
            ? string.Create(CultureInfo.InvariantCulture, $"OLD's buffer '{o.Path}' ({o.Size} bytes) is '{n.Path}' ({n.Size} bytes) and {Names(tail)} in NEW: the same bytes, NEW reads the buffer's tail as the new fields")
            : string.Create(CultureInfo.InvariantCulture, $"OLD's '{o.Path}' ({o.Size} bytes) and {Names(tail)} are NEW's buffer '{n.Path}' ({n.Size} bytes): the same bytes, NEW reads those fields as the buffer's tail");
        return new SchemaDiffFinding(section, prefix + n.Path, SchemaChange.FieldsRelaid, QemuReaction.Accept, detail,
            Condition: "when the tail is padding (zeros), as QEMU's compatible split of a buffer expects");
    }

    // Longest common subsequence by key (descriptions have at most a few hundred fields).
    private static List<(int, int)> Align(IReadOnlyList<WireField> a, IReadOnlyList<WireField> b, Func<WireField, string> key)
    {
        // The keys once each (LastPart cuts a string): the table compares every pair.
        var ka = a.Select(key).ToArray();
        var kb = b.Select(key).ToArray();
        var len = new int[a.Count + 1, b.Count + 1];
        for (int x = a.Count - 1; x >= 0; x--)
            for (int y = b.Count - 1; y >= 0; y--)
                len[x, y] = ka[x] == kb[y] ? len[x + 1, y + 1] + 1 : Math.Max(len[x + 1, y], len[x, y + 1]);
        var pairs = new List<(int, int)>();
        int i = 0, j = 0;
        while (i < a.Count && j < b.Count)
        {
            if (ka[i] == kb[j])
            {
                pairs.Add((i++, j++));
            }
            else if (len[i + 1, j] >= len[i, j + 1]) i++;
            else j++;
        }
        return pairs;
    }

    private static void CompareMatched(string section, string prefix, WireField o, WireField n, List<SchemaDiffFinding> findings)
    {
        string path = prefix + n.Path;
        if (o.Size != n.Size || (o.Elements is { } eo && n.Elements is { } en && eo != en))
        {
            findings.Add(new SchemaDiffFinding(section, path, SchemaChange.FieldResized, QemuReaction.ReadWrongly,
                $"field '{o.Path}' is {Describe(o)} in OLD, {Describe(n)} in NEW", Condition: Condition(o, n)));
            return;
        }
        if (Retyped(o, n) is { } retyped) findings.Add(retyped with { Section = section, Path = path });
        else if (o.Path != n.Path)
            findings.Add(new SchemaDiffFinding(section, path, SchemaChange.FieldRenamed, QemuReaction.Accept,
                $"field '{o.Path}' is '{n.Path}' in NEW (moved into or out of a struct, or the struct renamed: same layout)"));
    }

    // The last part of a path: a field moved into a struct (or whose struct was renamed) keeps it.
    private static string LastPart(WireField f) => f.Path[(f.Path.LastIndexOf('.') + 1)..];

    private static SchemaDiffFinding? Retyped(WireField o, WireField n)
    {
        // -dump-vmstate gives no types (they are inferred from sizes): only two known types are compared.
        if (o.Field.Inferred || n.Field.Inferred || o.Field.TypeName == n.Field.TypeName) return null;
        bool sameCodec = o.Field.Type == n.Field.Type && o.Field.Type != VmStateType.Opaque;
        return new SchemaDiffFinding("", null, SchemaChange.FieldRetyped, sameCodec ? QemuReaction.Accept : QemuReaction.ReadWrongly,
            $"field '{n.Path}' is '{o.Field.TypeName}' in OLD, '{n.Field.TypeName}' in NEW" + (sameCodec ? " (same encoding)" : ""));
    }

    // Fields between two matched ones: first matched by their last path part, then what is left by place.
    private static void CompareRun(string section, string prefix, List<WireField> a, List<WireField> b, List<SchemaDiffFinding> findings) =>
        Walk(section, prefix, a, b, LastPart, findings, (x, y) => CompareByPlace(section, prefix, x, y, findings));

    // Renamed in place, relaid, or removed and added.
    private static void CompareByPlace(string section, string prefix, List<WireField> a, List<WireField> b, List<SchemaDiffFinding> findings)
    {
        var (plan, misplaced) = Place(a, b);
        if (misplaced > 0 && a.Count > 0 && b.Count > 0 && !a.Any(Optional) && !b.Any(Optional)
            && Total(a) is { } ta && Total(b) is { } tb && ta == tb)
        {
            bool unused = a.All(f => f.IsUnused) || b.All(f => f.IsUnused);
            findings.Add(new SchemaDiffFinding(section, prefix + b[0].Path, SchemaChange.FieldsRelaid, unused ? QemuReaction.Accept : QemuReaction.ReadWrongly,
                $"{Names(a)} in OLD and {Names(b)} in NEW cover the same {ta} bytes" + (unused ? " (an unused placeholder: nothing read)" : " split differently")));
            return;
        }
        var removed = new List<WireField>();
        var added = new List<WireField>();
        foreach (var (o, n) in plan)
        {
            if (o is not null && n is not null)
            {
                Flush(section, prefix, removed, added, findings);
                string? condition = o.Conditional || n.Conditional ? "when the field_exists tests keep both" : null;
                if (Retyped(o, n) is { } retyped)
                    findings.Add(retyped with { Section = section, Path = prefix + n.Path, Detail = $"'{o.Path}' renamed '{n.Path}' and " + retyped.Detail, Condition = condition });
                else if (o.IsUnused || n.IsUnused)
                    findings.Add(new SchemaDiffFinding(section, prefix + n.Path, SchemaChange.FieldRenamed, QemuReaction.Accept,
                        $"field '{o.Path}' ({Describe(o)}) is '{n.Path}' ({Describe(n)}) in NEW: an unused placeholder of the same length, skipped",
                        Condition: condition ?? (o.Size != n.Size ? "when the array has as many elements as the placeholder has bytes" : null)));
                else
                    findings.Add(new SchemaDiffFinding(section, prefix + n.Path, SchemaChange.FieldRenamed, QemuReaction.Accept,
                        $"field '{o.Path}' renamed '{n.Path}' (same place, size{(o.Field.Inferred || n.Field.Inferred ? "" : " and type")}: same layout)", Condition: condition));
            }
            else if (n is { MaybeEmpty: true } || o is { MaybeEmpty: true })
            {
                var f = n ?? o!;
                findings.Add(new SchemaDiffFinding(section, prefix + f.Path, n is null ? SchemaChange.FieldRemoved : SchemaChange.FieldAdded, QemuReaction.Accept,
                    $"field '{f.Path}' only in {(n is null ? "OLD" : "NEW")}: the other side's trailer has no such field, and a trailer leaves out an array of no elements",
                    Condition: "when that array is empty (-dump-vmstate gives no element counts)"));
            }
            else if (n is { Conditional: true })
            {
                // field_exists tests are QEMU's other guard: the fields they leave out cost nothing.
                findings.Add(new SchemaDiffFinding(section, prefix + n.Path, SchemaChange.FieldAdded, QemuReaction.Accept,
                    $"field '{n.Path}' ({Describe(n)}) only in NEW, guarded by a field_exists test", Condition: "when its test is false for OLD's state"));
            }
            else if (o is { Conditional: true })
            {
                findings.Add(new SchemaDiffFinding(section, prefix + o.Path, SchemaChange.FieldRemoved, QemuReaction.Accept,
                    $"field '{o.Path}' ({Describe(o)}) only in OLD, written under a field_exists test", Condition: "when its test is false for OLD's state"));
            }
            else if (o is not null) removed.Add(o);
            else added.Add(n!);
        }
        Flush(section, prefix, removed, added, findings);
    }

    // Consecutive fields one side has without a guard: one finding each side, the bytes after them are misread.
    private static void Flush(string section, string prefix, List<WireField> removed, List<WireField> added, List<SchemaDiffFinding> findings)
    {
        if (removed.Count > 0)
            findings.Add(new SchemaDiffFinding(section, prefix + removed[0].Path, SchemaChange.FieldRemoved, QemuReaction.ReadWrongly,
                (removed.Count == 1 ? $"field '{removed[0].Path}' ({Describe(removed[0])})" : $"fields {Names(removed)}") + " written by OLD, not read by NEW: what follows shifts"));
        if (added.Count > 0)
        {
            var n = added[0];
            string what = added.Count == 1 ? $"field '{n.Path}' ({Describe(n)})" : $"fields {Names(added)}";
            findings.Add(new SchemaDiffFinding(section, prefix + n.Path, SchemaChange.FieldAdded, QemuReaction.ReadWrongly,
                n.Field.VersionId > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{what} read by NEW from version {n.Field.VersionId}, not written by OLD at that version")
                    : $"{what} read by NEW without a version guard, not written by OLD"));
        }
        removed.Clear();
        added.Clear();
    }

    // The placement of two runs that leaves the fewest unguarded fields unmatched: pairs of fields that fit in
    // place, fields with a field_exists test left out (free: their tests may leave them out), and the rest.
    private static (List<(WireField? Old, WireField? New)> Plan, int Misplaced) Place(List<WireField> a, List<WireField> b)
    {
        var cost = new int[a.Count + 1, b.Count + 1];
        for (int i = a.Count; i >= 0; i--)
            for (int j = b.Count; j >= 0; j--)
            {
                if (i == a.Count && j == b.Count) continue;
                int best = int.MaxValue;
                if (i < a.Count && j < b.Count && Fits(a[i], b[j])) best = cost[i + 1, j + 1];
                if (i < a.Count) best = Math.Min(best, cost[i + 1, j] + (Optional(a[i]) ? 0 : 1));
                if (j < b.Count) best = Math.Min(best, cost[i, j + 1] + (Optional(b[j]) ? 0 : 1));
                cost[i, j] = best;
            }
        var plan = new List<(WireField?, WireField?)>();
        int x = 0, y = 0;
        while (x < a.Count || y < b.Count)
        {
            if (x < a.Count && y < b.Count && Fits(a[x], b[y]) && cost[x, y] == cost[x + 1, y + 1]) plan.Add((a[x++], b[y++]));
            else if (x < a.Count && cost[x, y] == cost[x + 1, y] + (Optional(a[x]) ? 0 : 1)) plan.Add((a[x++], null));
            else plan.Add((null, b[y++]));
        }
        return (plan, cost[0, 0]);
    }

    // Same size and count; or an unused placeholder whose length is a whole number of the other's elements when
    // that side does not give its count (-dump-vmstate before 10.0 gives element sizes only).
    private static bool Fits(WireField o, WireField n) =>
        (o.Size == n.Size && SameCount(o, n))
        || (o.IsUnused != n.IsUnused && (o.IsUnused ? (n.Elements is null, o, n) : (o.Elements is null, n, o)) is (true, var u, var other)
            && other.Size > 0 && u.Size % other.Size == 0);

    // A field that may be absent from the wire: a field_exists test, or an array of 0 elements a trailer left out.
    private static bool Optional(WireField f) => f.Conditional || f.MaybeEmpty;

    private static bool SameCount(WireField o, WireField n) => o.Elements is null || n.Elements is null || o.Elements == n.Elements;

    private static long? Total(List<WireField> fields)
    {
        long sum = 0;
        foreach (var f in fields)
        {
            if (Optional(f)) return null;
            sum += f.Length ?? f.Size;
        }
        return sum;
    }

    private static string Names(List<WireField> fields) =>
        fields.Count <= 3 ? string.Join(", ", fields.Select(f => "'" + f.Path + "'")) : string.Create(CultureInfo.InvariantCulture, $"'{fields[0].Path}' .. '{fields[^1].Path}' ({fields.Count} fields)");

    private static string Describe(WireField f) =>
        f.Elements is { } n && n != 1
            ? string.Create(CultureInfo.InvariantCulture, $"{n} × {f.Size} bytes")
            : string.Create(CultureInfo.InvariantCulture, $"{f.Size} bytes");

    private static string? Condition(WireField o, WireField n) => o.Conditional || n.Conditional ? "when its field_exists test is true" : null;
}
