using System.Text.Json;

namespace Qevm.Validation;

/// <summary>
/// One machine type of one QEMU version in the <see cref="QemuVersionDatabase"/>: its VMState descriptions (that
/// version's <c>-dump-vmstate</c> for this machine type), and the RAM blocks and sections of a paused guest of this
/// machine type with QEMU's default devices (and CPU model), one CPU, TCG and 128 MiB of RAM.
/// </summary>
public sealed class QemuMachineType
{
    private readonly IReadOnlyList<(string Key, JsonElement Description)> _descriptions;
    private readonly Lazy<DumpVmStateSchema> _schema;

    internal QemuMachineType(string qemuVersion, string architecture, string name, IReadOnlyList<string> aliases, IReadOnlyList<(string, JsonElement)> descriptions,
        IReadOnlyList<TargetRamBlock> ramBlocks, IReadOnlyList<TargetSection> sections)
    {
        QemuVersion = qemuVersion;
        Architecture = architecture;
        Name = name;
        Aliases = aliases;
        _descriptions = descriptions;
        RamBlocks = ramBlocks;
        Sections = sections;
        _schema = new Lazy<DumpVmStateSchema>(() => DumpVmStateSchema.Parse(DumpVmStateJson(), Spec));
    }

    /// <summary>The QEMU version, e.g. <c>10.0</c>.</summary>
    public string QemuVersion { get; }

    /// <summary>The system emulator's target: <c>x86_64</c> (<c>pc-*</c>) or <c>aarch64</c> (<c>virt-*</c>).</summary>
    public string Architecture { get; }

    /// <summary>The machine type, e.g. <c>pc-i440fx-7.2</c>.</summary>
    public string Name { get; }

    /// <summary>Its aliases in that version (<c>pc</c>, <c>q35</c>: the newest machine types).</summary>
    public IReadOnlyList<string> Aliases { get; }

    /// <summary>How a target names it: <c>qemu-10.0:pc-i440fx-7.2</c>.</summary>
    public string Spec => $"qemu-{QemuVersion}:{Name}";

    /// <summary>
    /// Its RAM blocks in the order QEMU lists them, with their sizes (<c>pc.ram</c>'s and <c>mach-virt.ram</c>'s is the
    /// recorded guest's 128 MiB: it is <c>-m</c>'s).
    /// </summary>
    public IReadOnlyList<TargetRamBlock> RamBlocks { get; }

    /// <summary>Its sections in stream order (idstr, instance id, version): the default devices' and the iterative ones.</summary>
    public IReadOnlyList<TargetSection> Sections { get; }

    /// <summary>Number of descriptions in its <c>-dump-vmstate</c> output.</summary>
    public int DescriptionCount => _descriptions.Count;

    /// <summary>
    /// Its descriptions as <c>-dump-vmstate</c> gives them (built once): versions and minimum versions by description
    /// name, names and sizes of fields, subsections.
    /// </summary>
    public DumpVmStateSchema Schema => _schema.Value;

    /// <summary>The <c>-dump-vmstate</c> output of this machine type, rebuilt from the database (compact JSON).</summary>
    public byte[] DumpVmStateJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("vmschkmachine");
            w.WriteString("Name", Name);
            w.WriteEndObject();
            foreach (var (key, description) in _descriptions)
            {
                w.WritePropertyName(key);
                description.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>The target this machine type is, for <see cref="TargetCheck"/>.</summary>
    public CheckTarget ToTarget() => CheckTarget.FromDatabase(this);

    /// <inheritdoc/>
    public override string ToString() => Spec;
}
