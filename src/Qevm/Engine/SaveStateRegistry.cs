namespace Qevm.Engine;

/// <summary>
/// QEMU's <c>savevm_state.handlers</c>: the registered devices in save order (priority, then registration,
/// §4.7), with idstrs, instance ids numbered per idstr (<c>calculate_new_instance_id</c>, §4.10) and section ids
/// from one counter (§4.8). Not thread-safe: callers that share a registry lock around it.
/// </summary>
public sealed class SaveStateRegistry
{
    /// <summary><c>VMSTATE_INSTANCE_ID_ANY</c>: the next free instance id for the idstr.</summary>
    public const uint AnyInstance = uint.MaxValue;

    private readonly List<SaveStateEntry> _entries = [];
    private uint _nextSectionId;
    private int _registrations;

    /// <summary>The entries in save order.</summary>
    public IReadOnlyList<SaveStateEntry> Entries => _entries;

    /// <summary>
    /// Registers <paramref name="device"/> (<c>vmstate_register_with_alias_id</c>). The idstr defaults to the vmsd
    /// name, or <c>PATH/vmsd name</c> for a device with a bus path (<c>0000:00:01.1/ide</c>, §4.9);
    /// <paramref name="instanceId"/> defaults to the next free one for that idstr.
    /// </summary>
    public SaveStateEntry Register(VmStateDevice device, uint instanceId = AnyInstance, string? idstr = null, uint? aliasId = null, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (path is not null && idstr is not null) throw new ArgumentException("give an idstr or a path, not both", nameof(path));
        idstr ??= path is null ? device.VmsdName : path + "/" + device.VmsdName;
        if (idstr.Length == 0 || System.Text.Encoding.Latin1.GetByteCount(idstr) > 255) throw new ArgumentException("an idstr has 1..255 bytes", nameof(idstr));
        if (instanceId == AnyInstance) instanceId = NewInstanceId(idstr);
        foreach (var e in _entries)
            if (e.Idstr == idstr && e.InstanceId == instanceId)
                throw new ArgumentException($"Detected duplicate SaveStateEntry: id={idstr}, instance_id=0x{instanceId:x}", nameof(instanceId));
        var entry = new SaveStateEntry(device, idstr, instanceId, aliasId, _nextSectionId++, _registrations++);
        // savevm_state_handler_insert: before the first entry of lower priority, so registration order within one.
        int at = _entries.FindIndex(e => e.Device.Priority < device.Priority);
        if (at < 0) _entries.Add(entry);
        else _entries.Insert(at, entry);
        return entry;
    }

    /// <summary>Removes an entry (<c>vmstate_unregister</c>); its section id is not reused.</summary>
    public bool Unregister(SaveStateEntry entry) => _entries.Remove(entry);

    /// <summary>
    /// The entry a section header names (<c>find_se</c>): same idstr, and the instance id or the legacy alias.
    /// </summary>
    public SaveStateEntry? Find(string idstr, uint instanceId)
    {
        foreach (var e in _entries)
            if (e.Idstr == idstr && (e.InstanceId == instanceId || e.AliasId == instanceId || (instanceId == AnyInstance && e.AliasId is null)))
                return e;
        return null;
    }

    /// <summary>
    /// Writes what <c>xen-save-devices-state</c> writes (<c>qemu_save_device_state</c>, §4.4): the header, one FULL
    /// section per needed device in save order with its footer, EOF; optionally a configuration section and a trailer.
    /// </summary>
    public void SaveDeviceState(System.IO.Stream output, SaveOptions? options = null) => Savevm.SaveDeviceState(this, output, options ?? new SaveOptions());

    /// <summary>
    /// Loads a device-state file as QEMU's <c>qemu_loadvm_state</c> does, with its checks and messages (§3, §4.11,
    /// §5.3, §8.2, §9.3, §17). All sections are read into copies first; the devices take their new state only when
    /// the whole file loaded, so on error (a <see cref="VmStateFormatException"/>) every device keeps its state.
    /// </summary>
    public LoadReport LoadDeviceState(System.IO.Stream input, LoadOptions? options = null) => Loadvm.Load(this, input, options ?? new LoadOptions());

    // calculate_new_instance_id: one more than the largest instance id of that idstr, starting at 0.
    private uint NewInstanceId(string idstr)
    {
        long max = -1;
        foreach (var e in _entries)
            if (e.Idstr == idstr && e.InstanceId != AnyInstance) max = Math.Max(max, e.InstanceId);
        return (uint)(max + 1);
    }
}
