namespace Qevm.Engine;

/// <summary>
/// Declares a <see cref="Vmsd{T}"/> row by row, like QEMU's <c>VMSTATE_*</c> macros. <c>since</c> is a field's
/// <c>version_id</c> (present when the section version is at least that); <c>exists</c> is its
/// <c>field_exists</c> callback, which, when given, alone decides (§5.3).
/// </summary>
/// <typeparam name="T">The state class.</typeparam>
public sealed class VmsdBuilder<T> where T : class
{
    private readonly string _name;
    private readonly int _version;
    private readonly int _minimumVersion;
    private readonly List<BoundField<T>> _fields = [];
    private readonly List<Vmsd<T>> _subsections = [];
    private int _priority;
    private Func<T, bool>? _needed;
    private Action<T>? _preSave;
    private Action<T>? _preLoad;
    private Action<T, int>? _postLoad;

    internal VmsdBuilder(string name, int version, int minimumVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (System.Text.Encoding.Latin1.GetByteCount(name) > 255) throw new ArgumentException("a vmsd name has at most 255 bytes", nameof(name));
        if (minimumVersion > version) throw new ArgumentException($"minimum version {minimumVersion} above version {version}", nameof(minimumVersion));
        _name = name;
        _version = version;
        _minimumVersion = minimumVersion;
    }

    /// <summary>An integer, <c>bool</c> or <c>double</c> member (<c>VMSTATE_UINT8</c> … <c>VMSTATE_INT64</c>, <c>VMSTATE_BOOL</c>); the C# type picks the wire type.</summary>
    public VmsdBuilder<T> Field<TField>(string name, FieldAccessor<T, TField> member, int since = 0, Func<T, int, bool>? exists = null) where TField : unmanaged
    {
        ArgumentNullException.ThrowIfNull(member);
        return Add(new ScalarField<T, TField>(name, member, ScalarInfo<TField>.Require(), since, exists));
    }

    /// <summary>
    /// A member that the loaded value must equal (<c>VMSTATE_UINT8_EQUAL</c>, <c>_UINT16_</c>, <c>_UINT32_</c>,
    /// <c>_INT32_</c>, <c>_UINT64_EQUAL</c>): e.g. a count fixed by the configuration. A different value fails the load
    /// with QEMU's <c>%x != %x</c> (local, then received).
    /// </summary>
    public VmsdBuilder<T> Equal<TField>(string name, FieldAccessor<T, TField> member, int since = 0, Func<T, int, bool>? exists = null) where TField : unmanaged
    {
        ArgumentNullException.ThrowIfNull(member);
        string type = ScalarInfo<TField>.Require() switch
        {
            "uint8" => "uint8 equal",
            "uint16" => "uint16 equal",
            "uint32" => "uint32 equal",
            "int32" => "int32 equal",
            "uint64" => "int64 equal", // QEMU's name for its unsigned 64-bit equal type
            var t => throw new ArgumentException($"QEMU has no '{t} equal' type"),
        };
        return Add(new ScalarField<T, TField>(name, member, type, since, exists, equal: true));
    }

    /// <summary>A timer (<c>VMSTATE_TIMER_PTR</c>): be64 expiry in ns, -1 when not armed.</summary>
    public VmsdBuilder<T> Timer(string name, FieldAccessor<T, long> member, int since = 0, Func<T, int, bool>? exists = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        return Add(new ScalarField<T, long>(name, member, "timer", since, exists));
    }

    /// <summary>A fixed-length array of scalars (<c>VMSTATE_*_ARRAY</c>).</summary>
    public VmsdBuilder<T> Array<TField>(string name, FieldAccessor<T, TField[]> member, int count, int since = 0, Func<T, int, bool>? exists = null) where TField : unmanaged
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Add(new ArrayField<T, TField>(name, member, ElementCount.Fixed(count), since, exists));
    }

    /// <summary>
    /// A variable-length array (<c>VMSTATE_VARRAY_*</c>): <paramref name="count"/> reads the element count from the
    /// state when the field is reached, typically from a field declared before it (§7.1).
    /// </summary>
    public VmsdBuilder<T> VarArray<TField>(string name, FieldAccessor<T, TField[]> member, Func<T, int> count, int since = 0, Func<T, int, bool>? exists = null) where TField : unmanaged
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(count);
        return Add(new ArrayField<T, TField>(name, member, ElementCount.FromOpaque(o => count((T)o)), since, exists));
    }

    /// <summary>
    /// A variable-length array whose count is the value of <paramref name="countField"/>, a field declared before it
    /// (<c>VMSTATE_VARRAY_UINT32(field, state, num_field, ...)</c>, §7.1).
    /// </summary>
    public VmsdBuilder<T> VarArray<TField>(string name, FieldAccessor<T, TField[]> member, string countField, int since = 0, Func<T, int, bool>? exists = null) where TField : unmanaged
    {
        ArgumentNullException.ThrowIfNull(member);
        RequireEarlier(countField);
        return Add(new ArrayField<T, TField>(name, member, ElementCount.FromField(countField), since, exists));
    }

    /// <summary>A byte buffer of fixed size (<c>VMSTATE_BUFFER</c>).</summary>
    public VmsdBuilder<T> Buffer(string name, FieldAccessor<T, byte[]> member, int size, int since = 0, Func<T, int, bool>? exists = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return Add(new BufferField<T>(name, member, size, null, since, exists));
    }

    /// <summary>
    /// A byte buffer whose size the state gives (<c>VMSTATE_VBUFFER</c>, e.g. a length field declared before it):
    /// on load the size is taken from the fields already loaded.
    /// </summary>
    public VmsdBuilder<T> VBuffer(string name, FieldAccessor<T, byte[]> member, Func<T, int> size, int since = 0, Func<T, int, bool>? exists = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(size);
        return Add(new BufferField<T>(name, member, 0, ElementCount.FromOpaque(o => size((T)o)), since, exists));
    }

    /// <summary>A byte buffer whose size is the value of <paramref name="sizeField"/>, a field declared before it (<c>VMSTATE_VBUFFER_UINT32</c>).</summary>
    public VmsdBuilder<T> VBuffer(string name, FieldAccessor<T, byte[]> member, string sizeField, int since = 0, Func<T, int, bool>? exists = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        RequireEarlier(sizeField);
        return Add(new BufferField<T>(name, member, 0, ElementCount.FromField(sizeField), since, exists));
    }

    /// <summary>Unused bytes (<c>VMSTATE_UNUSED</c>, field name <c>unused</c>): zeros on save, skipped on load.</summary>
    public VmsdBuilder<T> Unused(int size, int since = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return Add(new BufferField<T>("unused", null, size, null, since, null));
    }

    /// <summary>A nested state object with its own description (<c>VMSTATE_STRUCT</c>).</summary>
    public VmsdBuilder<T> Struct<TStruct>(string name, Func<T, TStruct> member, Vmsd<TStruct> vmsd, int since = 0, Func<T, int, bool>? exists = null) where TStruct : class
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(vmsd);
        return Add(new StructField<T, TStruct>(name, s => [member(s)], 1, false, vmsd, since, exists));
    }

    /// <summary>A fixed array of nested state objects (<c>VMSTATE_STRUCT_ARRAY</c>).</summary>
    public VmsdBuilder<T> StructArray<TStruct>(string name, Func<T, TStruct[]> member, int count, Vmsd<TStruct> vmsd, int since = 0, Func<T, int, bool>? exists = null) where TStruct : class
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(vmsd);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Add(new StructField<T, TStruct>(name, member, count, true, vmsd, since, exists));
    }

    /// <summary>A subsection over the same state; written when its <c>needed</c> predicate says so (§8).</summary>
    public VmsdBuilder<T> Subsection(Vmsd<T> subsection)
    {
        ArgumentNullException.ThrowIfNull(subsection);
        // The loader only looks for subsections whose name starts with the parent's (§8.2 step 4).
        if (!subsection.Name.StartsWith(_name, StringComparison.Ordinal))
            throw new ArgumentException($"subsection '{subsection.Name}' must start with '{_name}'", nameof(subsection));
        _subsections.Add(subsection);
        return this;
    }

    /// <summary>The <c>needed</c> predicate: for a subsection, whether it is written; for a device, whether its section is.</summary>
    public VmsdBuilder<T> Needed(Func<T, bool> needed)
    {
        _needed = needed;
        return this;
    }

    /// <summary><c>pre_save</c>: runs on the state before its fields are written.</summary>
    public VmsdBuilder<T> PreSave(Action<T> hook)
    {
        _preSave = hook;
        return this;
    }

    /// <summary><c>pre_load</c>: runs on the state (the copy being loaded) before its fields are read.</summary>
    public VmsdBuilder<T> PreLoad(Action<T> hook)
    {
        _preLoad = hook;
        return this;
    }

    /// <summary>
    /// <c>post_load</c>: runs after the fields and subsections were read, with the version read. It may throw
    /// <see cref="InvalidDataException"/> to refuse the values; the load then fails and no device changes.
    /// </summary>
    public VmsdBuilder<T> PostLoad(Action<T, int> hook)
    {
        _postLoad = hook;
        return this;
    }

    /// <summary>QEMU's <c>priority</c> (<c>MigrationPriority</c>); sections of higher priority are saved first.</summary>
    public VmsdBuilder<T> Priority(int priority)
    {
        _priority = priority;
        return this;
    }

    /// <summary>The description.</summary>
    public Vmsd<T> Build() => new(_name, _version, _minimumVersion, _priority, [.. _fields], [.. _subsections], _needed, _preSave, _preLoad, _postLoad);

    private void RequireEarlier(string field)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        if (!_fields.Exists(f => f.Name == field)) throw new ArgumentException($"'{field}' is not a field declared before", nameof(field));
    }

    private VmsdBuilder<T> Add(BoundField<T> field)
    {
        ArgumentException.ThrowIfNullOrEmpty(field.Name);
        _fields.Add(field);
        return this;
    }
}
