namespace Qevm.Compatibility;

/// <summary>
/// The fields a description puts on the wire at a version, in wire order, with nested structs opened (each loaded
/// with its own description's version, as <c>vmstate_load_state</c> does), and the fields its version leaves out.
/// Which field is on the wire is the codec's rule (<see cref="VmStateCodec.IsOnWire"/>).
/// </summary>
public sealed class WireLayout
{
    private const int MaxDepth = 32;
    private readonly List<WireField> _fields = [];
    private readonly List<(string Path, VmStateField Field)> _notAtVersion = [];
    private readonly List<(string Path, VmStateDescription Description)> _structs = [];

    private WireLayout()
    {
    }

    /// <summary>The fields on the wire, in order.</summary>
    public IReadOnlyList<WireField> Fields => _fields;

    /// <summary>The nested structs opened, by path: their subsections follow their fields on the wire.</summary>
    public IReadOnlyList<(string Path, VmStateDescription Description)> Structs => _structs;

    /// <summary>Fields the description has that its version leaves off the wire (<c>version_id</c> above it).</summary>
    public IReadOnlyList<(string Path, VmStateField Field)> NotAtVersion => _notAtVersion;

    /// <summary>The layout of <paramref name="description"/> loaded or saved with <paramref name="version"/>.</summary>
    public static WireLayout Of(VmStateDescription description, int version)
    {
        ArgumentNullException.ThrowIfNull(description);
        var layout = new WireLayout();
        bool counted = description.Origin is not SchemaOrigin.DumpVmState;
        layout.Add(description, version, "", counted ? 1 : null, false, 0);
        return layout;
    }

    private void Add(VmStateDescription d, int version, string prefix, int? repeat, bool conditional, int depth)
    {
        if (depth > MaxDepth) return;
        bool join = d.Origin is SchemaOrigin.Trailer or SchemaOrigin.Catalogue;
        for (int i = 0; i < d.Fields.Count; i++)
        {
            var f = d.Fields[i];
            // A trailer writes the elements of a non-compressible array as consecutive fields of one name (§7.3).
            int? count = f.Count.IsFixed ? f.Count.Value : null;
            while (join && i + 1 < d.Fields.Count && d.Fields[i + 1].Name == f.Name && d.Fields[i + 1].Size == f.Size
                   && d.Fields[i + 1].TypeName == f.TypeName)
            {
                i++;
                count = count is { } c && d.Fields[i].Count.IsFixed ? c + d.Fields[i].Count.Value : null;
            }
            string path = prefix + f.Name;
            bool? onWire = VmStateCodec.IsOnWire(f, version);
            if (onWire == false)
            {
                _notAtVersion.Add((path, f));
                continue;
            }
            int? elements = repeat is { } r && count is { } n && d.Origin is not SchemaOrigin.DumpVmState ? r * n : null;
            bool cond = conditional || onWire is null;
            if (f.Type is VmStateType.Struct or VmStateType.VStruct && f.Struct is { } nested && elements != 0)
            {
                _structs.Add((path, nested));
                Add(nested, nested.VersionId, path + ".", elements, cond, depth + 1);
            }
            else
                _fields.Add(new WireField(path, f, elements, cond));
        }
    }
}
