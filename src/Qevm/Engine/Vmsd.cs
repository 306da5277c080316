namespace Qevm.Engine;

/// <summary>
/// A VMState description declared in C# and bound to a state class (QEMU's <c>VMStateDescription</c> with its
/// <c>opaque</c>). It is the shared model's <see cref="VmStateDescription"/> (<see cref="Description"/>), whose fields
/// know where they live in <typeparamref name="T"/>; the interpreter (<see cref="VmStateCodec"/>) saves and loads
/// it. Build one with <see cref="VmState.Describe{T}"/>.
/// </summary>
/// <typeparam name="T">The state class the fields are bound to.</typeparam>
public sealed class Vmsd<T> where T : class
{
    private readonly Func<T, bool>? _needed;

    internal Vmsd(string name, int versionId, int minimumVersionId, int priority, IReadOnlyList<BoundField<T>> fields,
        IReadOnlyList<Vmsd<T>> subsections, Func<T, bool>? needed, Action<T>? preSave, Action<T>? preLoad, Action<T, int>? postLoad)
    {
        _needed = needed;
        Subsections = subsections;
        Description = new VmStateDescription(name, versionId, fields.Select(f => f.ToField()), subsections.Select(s => s.Description))
        {
            MinimumVersionId = minimumVersionId,
            Priority = priority,
            Origin = SchemaOrigin.Code,
            SubsectionsOptional = true,
            Needed = needed is null ? null : o => needed((T)o),
            Hooks = preSave is null && preLoad is null && postLoad is null ? null : new VmStateHooks(
                preSave is null ? null : o => preSave((T)o),
                preLoad is null ? null : o => preLoad((T)o),
                postLoad is null ? null : (o, v) => postLoad((T)o, v)),
        };
    }

    /// <summary>The description in the shared model: every source of descriptions gives this same model.</summary>
    public VmStateDescription Description { get; }

    /// <summary>The vmsd name (<c>mc146818rtc</c>; for a subsection <c>mc146818rtc/irq_reinject_on_ack_count</c>).</summary>
    public string Name => Description.Name;

    /// <summary><c>version_id</c>: the version written, and the highest one loaded.</summary>
    public int VersionId => Description.VersionId;

    /// <summary><c>minimum_version_id</c>: the lowest version loaded.</summary>
    public int MinimumVersionId => Description.MinimumVersionId ?? 0;

    /// <summary>QEMU's <c>MigrationPriority</c> (0 = <c>MIG_PRI_DEFAULT</c>); higher is saved first (§4.7).</summary>
    public int Priority => Description.Priority;

    /// <summary>Subsections in the order they are written.</summary>
    public IReadOnlyList<Vmsd<T>> Subsections { get; }

    /// <summary>Number of fields declared.</summary>
    public int FieldCount => Description.Fields.Count;

    /// <summary>Whether the <c>needed</c> predicate (none: always) wants <paramref name="state"/> written.</summary>
    public bool IsNeeded(T state) => _needed?.Invoke(state) ?? true;

    /// <summary>The section data for <paramref name="state"/>: fields then needed subsections (runs the pre-save hooks).</summary>
    public byte[] Save(T state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return VmStateCodec.Encode(VmStateCodec.Capture(Description, state));
    }

    /// <summary>
    /// Loads version <paramref name="versionId"/> from the start of <paramref name="payload"/> (at file offset
    /// <paramref name="offset"/>) into <paramref name="state"/>, field by field (QEMU's <c>vmstate_load_state</c>);
    /// returns the bytes it used.
    /// </summary>
    internal int Load(T state, ReadOnlySpan<byte> payload, long offset, int versionId)
    {
        VmStateCodec.Decode(Description, payload, offset, versionId, new DecodeContext { Opaque = state }, out int consumed);
        return consumed;
    }
}
