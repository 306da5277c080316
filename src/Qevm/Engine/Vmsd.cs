using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Qevm.Engine;

/// <summary>
/// A VMState description declared in C# and bound to a state class (QEMU's <c>VMStateDescription</c> with its
/// <c>opaque</c>): fields in wire order, subsections with their <c>needed</c> predicate, versions and hooks. One
/// field loop saves and loads (<c>vmstate_save_state_v</c> / <c>vmstate_load_state</c>). Build one with
/// <see cref="VmState.Describe{T}"/>.
/// </summary>
/// <typeparam name="T">The state class the fields are bound to.</typeparam>
public sealed class Vmsd<T> where T : class
{
    private readonly IReadOnlyList<BoundField<T>> _fields;
    private readonly Func<T, bool>? _needed;
    private readonly Action<T>? _preSave;
    private readonly Action<T>? _preLoad;
    private readonly Action<T, int>? _postLoad;

    internal Vmsd(string name, int versionId, int minimumVersionId, int priority, IReadOnlyList<BoundField<T>> fields,
        IReadOnlyList<Vmsd<T>> subsections, Func<T, bool>? needed, Action<T>? preSave, Action<T>? preLoad, Action<T, int>? postLoad)
    {
        Name = name;
        VersionId = versionId;
        MinimumVersionId = minimumVersionId;
        Priority = priority;
        _fields = fields;
        Subsections = subsections;
        _needed = needed;
        _preSave = preSave;
        _preLoad = preLoad;
        _postLoad = postLoad;
        // vmfield_name_num: several fields of one name are told apart in the trailer as name[k] (§13.4).
        foreach (var f in fields)
        {
            int same = 0, k = 0;
            foreach (var g in fields)
            {
                if (g.Name != f.Name) continue;
                if (ReferenceEquals(g, f)) k = same;
                same++;
            }
            if (same > 1) f.TrailerName = string.Create(CultureInfo.InvariantCulture, $"{f.Name}[{k}]");
        }
    }

    /// <summary>The vmsd name (<c>mc146818rtc</c>; for a subsection <c>mc146818rtc/irq_reinject_on_ack_count</c>).</summary>
    public string Name { get; }

    /// <summary><c>version_id</c>: the version written, and the highest one loaded.</summary>
    public int VersionId { get; }

    /// <summary><c>minimum_version_id</c>: the lowest version loaded.</summary>
    public int MinimumVersionId { get; }

    /// <summary>QEMU's <c>MigrationPriority</c> (0 = <c>MIG_PRI_DEFAULT</c>); higher is saved first (§4.7).</summary>
    public int Priority { get; }

    /// <summary>Subsections in the order they are written.</summary>
    public IReadOnlyList<Vmsd<T>> Subsections { get; }

    /// <summary>Number of fields declared.</summary>
    public int FieldCount => _fields.Count;

    internal bool CanCompress
    {
        get
        {
            if (Subsections.Count > 0) return false;
            foreach (var f in _fields)
                if (!f.CanCompress) return false;
            return true;
        }
    }

    /// <summary>Whether the <c>needed</c> predicate (none: always) wants <paramref name="state"/> written.</summary>
    public bool IsNeeded(T state) => _needed?.Invoke(state) ?? true;

    /// <summary>The section data for <paramref name="state"/>: fields then needed subsections (runs the pre-save hooks).</summary>
    public byte[] Save(T state)
    {
        var w = new ArrayBufferWriter<byte>();
        Save(state, w, null);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The description, in the shared schema model, of what saving <paramref name="state"/> writes (variable
    /// counts and needed subsections as they are now): the trailer QEMU would write for it. Like a save, it
    /// runs the pre-save hooks.
    /// </summary>
    public VmStateDescription Describe(T state)
    {
        var json = new QemuJsonWriter();
        json.StartObject();
        Save(state, new ArrayBufferWriter<byte>(), json);
        json.EndObject();
        using var doc = JsonDocument.Parse(json.ToBytes());
        var d = TrailerSchema.FromDevice(doc.RootElement) ?? throw new InvalidOperationException("the description of " + Name + " does not parse");
        return new VmStateDescription(d.Name, d.VersionId, d.Fields, d.Subsections) { MinimumVersionId = MinimumVersionId, Origin = "code" };
    }

    internal void Save(T state, ArrayBufferWriter<byte> output, QemuJsonWriter? json)
    {
        _preSave?.Invoke(state);
        if (json is not null)
        {
            json.String("vmsd_name", Name);
            json.Int("version", VersionId);
            json.StartArray("fields");
        }
        foreach (var f in _fields)
        {
            if (!f.IsPresent(state, VersionId)) continue;
            int n = f.Count(state);
            var loop = json;
            for (int i = 0; i < n; i++)
            {
                long start = output.WrittenCount;
                if (loop is not null)
                {
                    loop.StartObject();
                    loop.String("name", f.TrailerName);
                    if (n > 1)
                    {
                        if (f.CanCompress) loop.Int("array_len", n);
                        else loop.Int("index", i);
                    }
                    loop.String("type", f.TypeName);
                    if (f.IsStruct) loop.StartObject("struct");
                }
                f.SaveElement(state, i, output, loop);
                if (loop is not null)
                {
                    if (f.IsStruct) loop.EndObject();
                    loop.Int("size", output.WrittenCount - start);
                    loop.EndObject();
                    // A compressible array is described by its first element only (vmsd_desc_field_start).
                    if (f.CanCompress) loop = null;
                }
            }
        }
        json?.EndArray();
        bool any = false;
        foreach (var sub in Subsections)
        {
            if (!sub.IsNeeded(state)) continue;
            if (json is not null)
            {
                if (!any) json.StartArray("subsections");
                json.StartObject();
            }
            any = true;
            // §8.1: 0x05, str8 name, be32 version, then the subsection's own encoding.
            var name = Encoding.Latin1.GetBytes(sub.Name);
            var head = output.GetSpan(6 + name.Length);
            head[0] = 0x05;
            head[1] = (byte)name.Length;
            name.CopyTo(head[2..]);
            BinaryPrimitives.WriteUInt32BigEndian(head[(2 + name.Length)..], (uint)sub.VersionId);
            output.Advance(6 + name.Length);
            sub.Save(state, output, json);
            json?.EndObject();
        }
        if (any) json?.EndArray();
    }

    /// <summary>vmstate_load_state: version checks (§5.3), fields, subsections by the peek protocol (§8.2), post-load.</summary>
    internal void Load(T state, LoadInput input, int versionId)
    {
        if (versionId > VersionId)
            throw new VmStateFormatException(VmStateError.UnsupportedDescriptionVersion, input.Position,
                string.Create(CultureInfo.InvariantCulture, $"version {VersionId} or lower for '{Name}'"), versionId.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{Name}: incoming version_id {versionId} is too new for local version_id {VersionId}"));
        if (versionId < MinimumVersionId)
            throw new VmStateFormatException(VmStateError.UnsupportedDescriptionVersion, input.Position,
                string.Create(CultureInfo.InvariantCulture, $"version {MinimumVersionId} or higher for '{Name}'"), versionId.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{Name}: incoming version_id {versionId} is too old for local minimum version_id  {MinimumVersionId}"));
        _preLoad?.Invoke(state);
        foreach (var f in _fields)
        {
            if (!f.IsPresent(state, versionId)) continue;
            int n = f.Count(state);
            f.PrepareLoad(state, n);
            for (int i = 0; i < n; i++) f.LoadElement(state, i, input);
        }
        LoadSubsections(state, input);
        if (_postLoad is not null)
        {
            try
            {
                _postLoad(state, versionId);
            }
            catch (InvalidDataException e)
            {
                throw new VmStateFormatException(VmStateError.LoadRefused, input.Position, "values the post-load hook of '" + Name + "' accepts", e.Message, e.Message);
            }
        }
    }

    // migration/vmstate.c: vmstate_subsection_load.
    private void LoadSubsections(T state, LoadInput input)
    {
        var prefix = Encoding.Latin1.GetBytes(Name);
        while (input.Remaining >= 2 && input.Peek(0) == 0x05)
        {
            int n = input.Peek(1);
            if (n < prefix.Length + 1 || input.Remaining < 2 + n) return;
            var name = input.Data.AsSpan(input.Position + 2, n);
            if (!name.StartsWith(prefix)) return;
            Vmsd<T>? sub = null;
            foreach (var s in Subsections)
                if (name.SequenceEqual(Encoding.Latin1.GetBytes(s.Name))) sub = s;
            if (sub is null)
            {
                var known = Subsections.Count == 0 ? "none" : string.Join(", ", Subsections.Select(s => s.Name));
                throw new VmStateFormatException(VmStateError.UnknownSubsection, input.Position,
                    $"a subsection '{Name}' has (known: {known})", "'" + Encoding.Latin1.GetString(name) + "'");
            }
            input.Position += 2 + n;
            // The loader keeps the subsection version in a uint8_t (§8.2 step 6).
            int version = (byte)input.ReadBe32("the version of subsection '" + sub.Name + "'");
            sub.Load(state, input, version);
        }
    }
}
