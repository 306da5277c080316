using System.IO.Compression;
using System.Text.Json;

namespace Qevm.Validation;

/// <summary>
/// The QEMU versions Qevm knows without running them (5.2, 7.2, 10.0, 11.1): for every x86 <c>pc-i440fx-*</c> and
/// <c>pc-q35-*</c> and Arm <c>virt-*</c> machine type of each, its <c>-dump-vmstate</c> descriptions, RAM blocks and sections (see
/// <see cref="QemuMachineType"/>). <see cref="BuiltIn"/> is the database shipped inside the library, built by
/// <c>scripts/build-version-db.sh</c> from those QEMUs; each distinct description is stored once.
/// A target is named <c>qemu-VERSION[:MACHINE]</c> (<see cref="Resolve"/>).
/// </summary>
public sealed class QemuVersionDatabase
{
    /// <summary>The embedded resource that holds the built-in database (brotli-compressed JSON).</summary>
    public const string ResourceName = "Qevm.Validation.qemu-versions.json.br";

    private const string SpecPrefix = "qemu-";
    private static readonly Lazy<QemuVersionDatabase> Embedded = new(LoadEmbedded);

    // The machine types hold elements of the parsed document, which keeps it alive.
    private QemuVersionDatabase(IReadOnlyList<QemuVersionEntry> versions)
    {
        Versions = versions;
    }

    /// <summary>The database built into the library.</summary>
    public static QemuVersionDatabase BuiltIn => Embedded.Value;

    /// <summary>Its QEMU versions, oldest first.</summary>
    public IReadOnlyList<QemuVersionEntry> Versions { get; }

    /// <summary>The version <paramref name="version"/> (<c>10.0</c> or <c>qemu-10.0</c>); null when the database does not have it.</summary>
    public QemuVersionEntry? FindVersion(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        version = Unprefixed(version);
        return Versions.FirstOrDefault(v => v.Version == version);
    }

    /// <summary>The version <paramref name="version"/> (<c>10.0</c> or <c>qemu-10.0</c>).</summary>
    /// <exception cref="ArgumentException">The database has no such version (the message lists those it has).</exception>
    public QemuVersionEntry GetVersion(string version) =>
        FindVersion(version) ?? throw new ArgumentException(
            $"QEMU {Unprefixed(version)} is not in the database (it has {string.Join(", ", Versions.Select(v => v.Version))})", nameof(version));

    /// <summary>The machine types of <paramref name="version"/>, oldest first.</summary>
    /// <exception cref="ArgumentException">The database has no such version.</exception>
    public IReadOnlyList<QemuMachineType> Machines(string version) => GetVersion(version).Machines;

    /// <summary>True when <paramref name="text"/> names a database target (<c>qemu-X.Y</c> or <c>qemu-X.Y:MACHINE</c>) rather than a file.</summary>
    public static bool IsSpec(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith(SpecPrefix, StringComparison.Ordinal)) return false;
        var version = text[SpecPrefix.Length..].Split(':', 2)[0];
        return version.Length > 0 && version.All(c => char.IsAsciiDigit(c) || c == '.') && char.IsAsciiDigit(version[0]);
    }

    /// <summary>
    /// The version a target name <paramref name="spec"/> names, and its machine type: the name's own <c>:MACHINE</c>, else
    /// <paramref name="machine"/> (null when neither gives one). The one reading of <c>qemu-X.Y[:MACHINE]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Not a target name, or a version the database does not have.</exception>
    internal (QemuVersionEntry Version, string? Machine) Parse(string spec, string? machine)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!IsSpec(spec)) throw new ArgumentException($"'{spec}' names no QEMU version: expected qemu-X.Y or qemu-X.Y:MACHINE", nameof(spec));
        var parts = spec[SpecPrefix.Length..].Split(':', 2);
        return (GetVersion(parts[0]), parts.Length == 2 && parts[1].Length > 0 ? parts[1] : machine);
    }

    /// <summary>
    /// The target <paramref name="spec"/> names: <c>qemu-10.0:pc-i440fx-7.2</c> (an alias such as <c>pc</c> resolved as that
    /// version does), or <c>qemu-10.0</c> with the machine type <paramref name="machine"/> (the stream's own, for
    /// <c>check</c>). A machine type the version does not have gives a target that refuses every stream with that
    /// QEMU's start-up message (<c>unsupported machine type</c>), as that QEMU would not start.
    /// </summary>
    /// <exception cref="ArgumentException">Not a target name, a version the database does not have, or no machine type given.</exception>
    public CheckTarget Resolve(string spec, string? machine = null)
    {
        var (version, name) = Parse(spec, machine);
        if (name is null)
            throw new ArgumentException($"{spec}: no machine type to check against (the file names none): give {spec}:MACHINE", nameof(spec));
        return version.Machine(name) is { } m ? m.ToTarget() : CheckTarget.Unsupported(version, name);
    }

    private static string Unprefixed(string version) =>
        version.StartsWith(SpecPrefix, StringComparison.Ordinal) ? version[SpecPrefix.Length..] : version;

    // Reads a database (brotli-compressed JSON, as QemuVersionDatabaseBuilder writes it). Internal: the only database
    // read is the library's own resource, which the suite checks, so no hostile-input surface.
    internal static QemuVersionDatabase Read(Stream compressed)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        using var ms = new MemoryStream();
        using (var br = new BrotliStream(compressed, CompressionMode.Decompress, leaveOpen: true)) br.CopyTo(ms);
        var doc = JsonDocument.Parse(ms.ToArray());
        var root = doc.RootElement;
        var descriptions = root.GetProperty("descriptions").EnumerateArray().ToArray();
        var versions = new List<QemuVersionEntry>();
        foreach (var v in root.GetProperty("versions").EnumerateArray())
        {
            string version = v.GetProperty("version").GetString()!;
            var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var a in v.GetProperty("aliases").EnumerateObject()) aliases[a.Name] = a.Value.GetString()!;
            var bases = v.GetProperty("vmstate").EnumerateObject().ToDictionary(a => a.Name, a => References(a.Value), StringComparer.Ordinal);
            var machines = new List<QemuMachineType>();
            foreach (var m in v.GetProperty("machines").EnumerateArray())
            {
                string name = m.GetProperty("name").GetString()!;
                string arch = m.GetProperty("arch").GetString()!;
                var baseList = bases[arch];
                // The version's common descriptions, with this machine type's differences (null: it has no such entry).
                var own = References(m.GetProperty("vmstate"));
                var overrides = own.ToDictionary(r => r.Key, r => r.Index, StringComparer.Ordinal);
                var list = new List<(string, JsonElement)>();
                foreach (var (key, index) in baseList)
                {
                    int? i = overrides.Remove(key, out var o) ? o : index;
                    if (i is { } n) list.Add((key, descriptions[n]));
                }
                foreach (var (key, index) in own)
                    if (overrides.ContainsKey(key) && index is { } n) list.Add((key, descriptions[n]));
                var ram = m.GetProperty("ram").EnumerateArray().Select(r => new TargetRamBlock(r[0].GetString()!, r[1].GetUInt64(),
TargetRamBlock.SizingFromName(r[2].GetString()))).ToArray();
                var sections = m.GetProperty("sections").EnumerateArray().Select(s => new TargetSection(s[0].GetString()!, s[1].GetUInt32(), s[2].GetUInt32())).ToArray();
                var machineAliases = aliases.Where(a => a.Value == name).Select(a => a.Key).Order(StringComparer.Ordinal).ToArray();
                machines.Add(new QemuMachineType(version, arch, name, machineAliases, list, ram, sections));
            }
            versions.Add(new QemuVersionEntry(version, v.GetProperty("build").GetString()!, v.GetProperty("unsupported_machine").GetString()!, machines, aliases));
        }
        return new QemuVersionDatabase(versions);
    }

    private static List<(string Key, int? Index)> References(JsonElement list) =>
        [.. list.EnumerateArray().Select(r => (r[0].GetString()!, r[1].ValueKind == JsonValueKind.Null ? (int?)null : r[1].GetInt32()))];

    private static QemuVersionDatabase LoadEmbedded()
    {
        using var s = typeof(QemuVersionDatabase).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the library has no {ResourceName} resource");
        return Read(s);
    }
}
