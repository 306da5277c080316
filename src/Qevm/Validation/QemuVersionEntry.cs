namespace Qevm.Validation;

/// <summary>One QEMU version in the <see cref="QemuVersionDatabase"/>: its x86 <c>pc</c>/<c>q35</c> and Arm <c>virt</c> machine types and aliases.</summary>
public sealed class QemuVersionEntry
{
    private readonly Dictionary<string, QemuMachineType> _byName;
    private readonly string _unsupportedMachine;

    internal QemuVersionEntry(string version, string build, string unsupportedMachine, IReadOnlyList<QemuMachineType> machines,
        IReadOnlyDictionary<string, string> aliases)
    {
        Version = version;
        Build = build;
        _unsupportedMachine = unsupportedMachine;
        Machines = machines;
        Aliases = aliases;
        _byName = machines.ToDictionary(m => m.Name, StringComparer.Ordinal);
    }

    /// <summary>The version, e.g. <c>10.0</c>.</summary>
    public string Version { get; }

    /// <summary>The recorded QEMU's own version line, e.g. <c>QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)</c>.</summary>
    public string Build { get; }

    /// <summary>Its machine types: <c>pc-i440fx-*</c>, <c>pc-q35-*</c>, <c>virt-*</c>, each oldest first.</summary>
    public IReadOnlyList<QemuMachineType> Machines { get; }

    /// <summary>Its aliases and the machine type each names (<c>pc</c> → <c>pc-i440fx-10.0</c>, <c>virt</c> → <c>virt-10.0</c>).</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; }

    /// <summary>The machine type named <paramref name="nameOrAlias"/>, an alias resolved; null when this version has none.</summary>
    public QemuMachineType? Machine(string nameOrAlias)
    {
        ArgumentNullException.ThrowIfNull(nameOrAlias);
        if (Aliases.TryGetValue(nameOrAlias, out var name)) nameOrAlias = name;
        return _byName.GetValueOrDefault(nameOrAlias);
    }

    /// <summary>What this QEMU prints when started with a machine type it does not have (its own words, which differ between versions).</summary>
    public string UnsupportedMachineMessage(string machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return _unsupportedMachine.Replace("%s", machine, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override string ToString() => "qemu-" + Version;
}
