using System.Text.Json;

namespace Qevm.Streams;

/// <summary>
/// The JSON description after EOF (<c>QEMU_VM_VMDESCRIPTION</c>, §13): page size and one entry per FULL section.
/// Duplicate keys (QEMU writes them for qtailq fields) are kept as they are.
/// </summary>
public sealed class Trailer : ISchemaSource
{
    private readonly Dictionary<(string, uint), JsonElement> _byKey = [];
    private readonly List<(string Name, uint InstanceId)> _order = [];

    private Trailer(long offset, ReadOnlyMemory<byte> json, JsonElement root)
    {
        Offset = offset;
        Json = json;
        Root = root;
        if (root.TryGetProperty("page_size", out var ps) && ps.ValueKind == JsonValueKind.Number && ps.TryGetInt32(out var p)) PageSize = p;
        var at = new JsonCursor(root, "$", VmStateError.BadTrailer, Math.Max(0, offset));
        if (at.TryGet("devices", out var devices) && devices.Kind == JsonValueKind.Array)
        {
            foreach (var device in devices.Items())
            {
                var d = device.Element;
                if (d.ValueKind != JsonValueKind.Object || !device.TryGet("name", out var n) || n.Kind != JsonValueKind.String)
                    continue;
                uint inst = d.TryGetProperty("instance_id", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetUInt32(out var iv) ? iv : 0;
                var key = (n.String(), inst);
                _order.Add(key);
                _byKey.TryAdd(key, d);
            }
        }
    }

    /// <summary>Offset of the <c>0x06</c> byte (or -1 for a description not read from a stream).</summary>
    public long Offset { get; }

    /// <summary>The JSON text.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>Parsed root object.</summary>
    public JsonElement Root { get; }

    /// <summary><c>page_size</c>, when present.</summary>
    public int? PageSize { get; }

    /// <summary>The devices (idstr, instance id) in stream order of their FULL sections.</summary>
    public IReadOnlyList<(string Name, uint InstanceId)> Devices => _order;

    /// <summary>The description entry of a FULL section.</summary>
    public bool TryGetDevice(string idstr, uint instanceId, out JsonElement entry) =>
        _byKey.TryGetValue((idstr, instanceId), out entry);

    private readonly Dictionary<(string, uint), VmStateDescription?> _descriptions = [];

    /// <inheritdoc/>
    public string SourceName { get; internal set; } = "trailer";

    /// <inheritdoc/>
    public IEnumerable<VmStateDescription> Describe(SectionHeader section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return GetDescription(section.Idstr, section.InstanceId) is { } d ? [d] : [];
    }

    /// <summary>The description of a FULL section, built from its trailer entry (null when absent or malformed).</summary>
    public VmStateDescription? GetDescription(string idstr, uint instanceId)
    {
        lock (_descriptions)
        {
            if (_descriptions.TryGetValue((idstr, instanceId), out var d)) return d;
            d = TryGetDevice(idstr, instanceId, out var entry) ? TrailerSchema.FromDevice(entry) : null;
            _descriptions[(idstr, instanceId)] = d;
            return d;
        }
    }

    /// <summary>Parses trailer JSON; <paramref name="offset"/> is where its 0x06 byte was (for messages).</summary>
    public static Trailer Parse(ReadOnlyMemory<byte> json, long offset = -1)
    {
        JsonCursor.RequireUtf8(json.Span, VmStateError.BadTrailer, "valid JSON in the trailer", Math.Max(0, offset));
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new JsonCursor(doc.RootElement, "$", VmStateError.BadTrailer, Math.Max(0, offset)).Fail("a JSON object (the trailer)");
            return new Trailer(offset, json, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw VmStateFormatException.InJson(VmStateError.BadTrailer, "$", "valid JSON in the trailer", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"no valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}"), offset < 0 ? 0 : offset + 5 + (e.BytePositionInLine ?? 0));
        }
    }

    /// <summary>
    /// Loads a description from a file: a migration stream (its trailer; plain or gzip) or bare trailer JSON.
    /// </summary>
    public static Trailer Load(string path) =>
        SchemaFile.Load(path) as Trailer
        ?? throw new VmStateFormatException(VmStateError.BadTrailer, 0, "a migration stream or trailer JSON in " + path, "another kind of schema");

    /// <summary>The trailer of a seekable stream, found from its end by its framing.</summary>
    public static Trailer FromStream(System.IO.Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var t = TrailerLocator.TryLocate(stream, stream.Position, stream.Length - stream.Position, int.MaxValue)
            ?? throw new VmStateFormatException(VmStateError.BadTrailer, stream.Length, "a JSON trailer at the end of " + sourceName, "none");
        t.SourceName = sourceName;
        return t;
    }
}
