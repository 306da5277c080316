using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Qevm.Validation;

/// <summary>
/// Builds a <see cref="QemuVersionDatabase"/> from what <c>scripts/build-version-db.sh</c> collects: one folder per QEMU
/// version (<c>5.2</c>, <c>7.2</c>, …) with <c>qemu-version-ARCH.txt</c>, <c>machine-help-ARCH.txt</c> (ARCH
/// <c>x86_64</c>, and <c>aarch64</c> when collected), <c>unsupported-machine.txt</c> and, per machine type, <c>MACHINE.json</c> (its <c>-dump-vmstate</c>) and <c>MACHINE.mig</c> (a stream of a paused guest
/// with the default devices). Each distinct description (by content hash) is stored once; each version lists, per
/// architecture, the description most of its machine types have under each name, and each machine type only where it
/// differs.
/// </summary>
public static partial class QemuVersionDatabaseBuilder
{
    /// <summary>What <see cref="Build"/> wrote.</summary>
    /// <param name="Versions">QEMU versions.</param>
    /// <param name="Machines">Machine types, all versions together.</param>
    /// <param name="Descriptions">Distinct descriptions stored.</param>
    /// <param name="DescriptionReferences">Descriptions the machine types' <c>-dump-vmstate</c> outputs hold, all together.</param>
    public sealed record Statistics(int Versions, int Machines, int Descriptions, long DescriptionReferences);

    [GeneratedRegex(@"^pc-(i440fx|q35)-[0-9]+(\.[0-9]+){1,2}$")]
    private static partial Regex MachineName();

    [GeneratedRegex(@"^(\S+)\s.*\(alias of (\S+)\)")]
    private static partial Regex AliasLine();

    private const string ProbeMachine = "qevm-no-such-machine";

    // The machine types kept, per system emulator.
    private static readonly (string Arch, Regex Pattern)[] Architectures =
    [
        ("x86_64", MachineName()),
        ("aarch64", VirtName()),
    ];

    [GeneratedRegex(@"^virt-[0-9]+(\.[0-9]+){1,2}$")]
    private static partial Regex VirtName();

    // A -dump-vmstate output's descriptions by key, as indexes into the shared list (each distinct one added once).
    private static List<(string Key, int Index)> Descriptions(string path, Dictionary<string, int> hashes, List<byte[]> descriptions)
    {
        var list = new List<(string, int)>();
        // Through JsonCursor: a file that is no JSON object is one line naming it (exit 1), not a stack trace.
        using var doc = JsonCursor.Parse(File.ReadAllBytes(path), VmStateError.BadTrailer, $"-dump-vmstate output in {path}");
        foreach (var (name, value) in JsonCursor.Root(doc, VmStateError.BadTrailer).Properties())
        {
            if (name == "vmschkmachine") continue;
            var bytes = Compact(value.Element);
            var hash = Convert.ToHexString(SHA256.HashData(bytes));
            if (!hashes.TryGetValue(hash, out int index))
            {
                index = descriptions.Count;
                descriptions.Add(bytes);
                hashes.Add(hash, index);
            }
            list.Add((name, index));
        }
        return list;
    }

    /// <summary>Builds the database from <paramref name="directory"/> and writes it, brotli-compressed, to <paramref name="output"/>.</summary>
    public static Statistics Build(string directory, Stream output)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(output);
        var hashes = new Dictionary<string, int>(StringComparer.Ordinal);
        var descriptions = new List<byte[]>();
        long references = 0;
        int machineCount = 0;
        var versionDirs = Directory.GetDirectories(directory)
            .Where(d => System.Version.TryParse(Path.GetFileName(d), out _) && File.Exists(Path.Combine(d, "machine-help-x86_64.txt")))
            .OrderBy(d => System.Version.Parse(Path.GetFileName(d))).ToList();
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteNumber("format", 1);
            w.WriteStartArray("versions");
            foreach (var dir in versionDirs)
            {
                var aliases = new SortedDictionary<string, string>(StringComparer.Ordinal);
                var machines = new List<(string Arch, string Name, List<(string Key, int Index)> Descriptions)>();
                var keyOrders = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                foreach (var (arch, pattern) in Architectures)
                {
                    var helpPath = Path.Combine(dir, $"machine-help-{arch}.txt");
                    if (!File.Exists(helpPath)) continue;
                    var help = File.ReadAllLines(helpPath);
                    var names = help.Select(l => l.Split(' ', 2)[0]).Where(n => pattern.IsMatch(n)
                            && File.Exists(Path.Combine(dir, n + ".json")) && File.Exists(Path.Combine(dir, n + ".mig")))
                        .OrderBy(n => n[..n.LastIndexOf('-')], StringComparer.Ordinal).ThenBy(n => System.Version.Parse(n[(n.LastIndexOf('-') + 1)..])).ToList();
                    foreach (var line in help)
                        if (AliasLine().Match(line) is { Success: true } a && names.Contains(a.Groups[2].Value)) aliases[a.Groups[1].Value] = a.Groups[2].Value;
                    var archMachines = new List<List<(string, int)>>();
                    foreach (var name in names)
                    {
                        var list = Descriptions(Path.Combine(dir, name + ".json"), hashes, descriptions);
                        references += list.Count;
                        archMachines.Add(list);
                        machines.Add((arch, name, list));
                    }
                    // The keys in the newest machine type's order.
                    var keyOrder = new List<string>();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var list in Enumerable.Reverse(archMachines))
                        foreach (var (key, _) in list)
                            if (seen.Add(key)) keyOrder.Add(key);
                    keyOrders[arch] = keyOrder;
                }
                // Per architecture, the common description per key: the one most of its machine types have.
                var common = keyOrders.ToDictionary(k => k.Key, k => k.Value.ToDictionary(key => key, key => machines.Where(m => m.Arch == k.Key)
                    .Select(m => m.Descriptions.FirstOrDefault(e => e.Key == key)).Where(e => e.Key is not null)
                    .GroupBy(e => e.Index).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key, StringComparer.Ordinal), StringComparer.Ordinal);

                w.WriteStartObject();
                w.WriteString("version", Path.GetFileName(dir));
                w.WriteString("build", File.ReadAllText(Path.Combine(dir, "qemu-version-x86_64.txt")).Split('\n')[0].Trim());
                w.WriteString("unsupported_machine", UnsupportedMachine(Path.Combine(dir, "unsupported-machine.txt")));
                w.WriteStartObject("aliases");
                foreach (var (alias, target) in aliases) w.WriteString(alias, target);
                w.WriteEndObject();
                w.WriteStartObject("vmstate");
                foreach (var (arch, keyOrder) in keyOrders)
                {
                    w.WriteStartArray(arch);
                    foreach (var key in keyOrder) WriteReference(w, key, common[arch][key]);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                w.WriteStartArray("machines");
                foreach (var (arch, name, list) in machines)
                {
                    w.WriteStartObject();
                    w.WriteString("name", name);
                    w.WriteString("arch", arch);
                    w.WriteStartArray("vmstate");
                    var own = list.ToDictionary(e => e.Key, e => e.Index, StringComparer.Ordinal);
                    foreach (var key in keyOrders[arch])
                    {
                        if (!own.TryGetValue(key, out int index)) WriteReference(w, key, null);
                        else if (index != common[arch][key]) WriteReference(w, key, index);
                    }
                    w.WriteEndArray();
                    WriteStream(w, Path.Combine(dir, name + ".mig"));
                    w.WriteEndObject();
                    machineCount++;
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("descriptions");
            foreach (var d in descriptions) w.WriteRawValue(d, skipInputValidation: true);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        json.Position = 0;
        using (var br = new BrotliStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) json.CopyTo(br);
        return new Statistics(versionDirs.Count, machineCount, descriptions.Count, references);
    }

    // The RAM blocks and sections of the machine type's stream.
    private static void WriteStream(Utf8JsonWriter w, string path)
    {
        StreamInfo info;
        using (var s = File.OpenRead(path)) info = StreamInfo.Read(s);
        w.WriteStartArray("ram");
        foreach (var b in info.Ram?.Blocks ?? [])
        {
            w.WriteStartArray();
            w.WriteStringValue(b.Name);
            w.WriteNumberValue(b.UsedLength);
            w.WriteStringValue(TargetRamBlock.SizingName(b.Name is "pc.ram" or "mach-virt.ram" ? RamBlockSizing.Memory : TargetRamBlock.SizingOf(b.Name)));
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteStartArray("sections");
        foreach (var s in info.Sections)
        {
            if (s.Type is not (RecordType.SectionFull or RecordType.SectionStart)) continue;
            w.WriteStartArray();
            w.WriteStringValue(s.Header.Idstr);
            w.WriteNumberValue(s.Header.InstanceId);
            w.WriteNumberValue(s.Header.VersionId);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    private static void WriteReference(Utf8JsonWriter w, string key, int? index)
    {
        w.WriteStartArray();
        w.WriteStringValue(key);
        if (index is { } i) w.WriteNumberValue(i); else w.WriteNullValue();
        w.WriteEndArray();
    }

    private static byte[] Compact(JsonElement e)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) e.WriteTo(w);
        return ms.ToArray();
    }

    // "qemu-system-x86_64: unsupported machine type: \"qevm-no-such-machine\"" → "unsupported machine type: \"%s\"".
    private static string UnsupportedMachine(string path)
    {
        var line = File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.Contains("machine", StringComparison.Ordinal)) : null;
        if (line is null) return "unsupported machine type";
        int colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon >= 0 && line[..colon].Contains("qemu-system", StringComparison.Ordinal)) line = line[(colon + 2)..];
        return line.Replace(ProbeMachine, "%s", StringComparison.Ordinal);
    }
}
