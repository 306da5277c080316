namespace Qevm.Compatibility;

/// <summary>
/// Turns what a user names as OLD or NEW into a <see cref="SchemaSide"/>: a file (a migration stream, in any container
/// <see cref="VmStateInput"/> opens; <c>-dump-vmstate</c> output; a catalogue; trailer JSON) or a database entry
/// <c>qemu-X.Y[:machine]</c>. The one place every kind of input is recognized.
/// </summary>
public static class SchemaSideResolver
{
    /// <summary>
    /// The side <paramref name="spec"/> names; <paramref name="machine"/> picks the machine type of a database entry
    /// (the entry's own <c>:machine</c> wins).
    /// </summary>
    public static SchemaSide Resolve(string spec, string? machine = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec);
        if (!File.Exists(spec) && Qevm.Validation.QemuVersionDatabase.IsSpec(spec))
            return FromDatabase(spec, machine);
        return FromFile(spec);
    }

    /// <summary>The side a file gives: a stream (its sections, trailer and RAM blocks) or a JSON schema source.</summary>
    public static SchemaSide FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string name = Path.GetFileName(path);
        if (LooksLikeJson(path)) return FromSource(SchemaFile.FromBytes(SchemaFile.ReadBytes(path), name));
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var input = VmStateInput.Open(file);
        return FromStream(input.Stream, name);
    }

    /// <summary>The side a migration stream gives: its FULL sections with their trailer descriptions, its machine and RAM blocks.</summary>
    public static SchemaSide FromStream(System.IO.Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        var headers = new List<SectionHeader>();
        var info = StreamInfo.Read(stream, null, r =>
        {
            if (r.RecordType == RecordType.SectionFull) headers.Add(r.Section!);
        }, null, out var trailer);
        var sections = headers.Select(h => new SchemaSideSection(h.Idstr, h.InstanceId, h.VersionId, trailer?.GetDescription(h.Idstr, h.InstanceId)));
        var blocks = info.Ram?.Blocks.Select(b => new SchemaSideRamBlock(b.Name, b.UsedLength));
        return new SchemaSide(name, "migration stream", info.Configuration?.Machine, [], sections, blocks);
    }

    /// <summary>The side a schema source gives (<c>-dump-vmstate</c> output, a catalogue, trailer JSON, a stream's trailer).</summary>
    public static SchemaSide FromSource(ISchemaSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        switch (source)
        {
            case DumpVmStateSchema d:
                return new SchemaSide(d.SourceName, "-dump-vmstate output", d.Machine, d.Descriptions) { DeviceTypes = d.DeviceTypes };
            case SchemaCatalogue c:
                var sections = new List<SchemaSideSection>();
                foreach (var (idstr, instance, version) in c.SectionVersions())
                {
                    var description = c.Describe(new SectionHeader(0, idstr, instance, version)).FirstOrDefault();
                    sections.Add(new SchemaSideSection(idstr, instance, version, description));
                }
                return new SchemaSide(c.SourceName, "catalogue", c.Machine, [], sections);
            case Trailer t:
                var fromTrailer = t.Devices.Select(dev => t.GetDescription(dev.Name, dev.InstanceId) is { } desc
                    ? new SchemaSideSection(dev.Name, dev.InstanceId, (uint)desc.VersionId, desc) : null).OfType<SchemaSideSection>();
                return new SchemaSide(t.SourceName, "trailer JSON", null, [], fromTrailer);
            default:
                throw new NotSupportedException($"{source.SourceName}: not a source schema diff reads");
        }
    }

    // A database entry (Qevm.Validation.QemuVersionDatabase) compares as that QEMU's -dump-vmstate of the machine type:
    // descriptions, versions, minimum versions, device types, and the machine type. As in check --target, it stands
    // for that QEMU started with the source's own devices, so the default devices' sections and RAM blocks it also
    // records are not given: which devices a destination has is shown by a stream or catalogue of it.
    private static SchemaSide FromDatabase(string target, string? machine)
    {
        (var entry, machine) = Qevm.Validation.QemuVersionDatabase.BuiltIn.Parse(target, machine);
        string spec = entry.ToString();
        if (machine is null) throw new ArgumentException($"{spec}: no machine type: give {spec}:MACHINE or --machine M");
        var m = entry.Machine(machine) ?? throw new ArgumentException($"{spec}: {entry.UnsupportedMachineMessage(machine)}");
        var schema = m.Schema;
        return new SchemaSide(m.Spec, "database entry", m.Name, schema.Descriptions) { DeviceTypes = schema.DeviceTypes };
    }

    // JSON sources start with '{' (after white space, possibly gzip-compressed); streams and containers do not.
    private static bool LooksLikeJson(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        if (n == 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            file.Position = 0;
            using var gz = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
            return FirstNonSpace(gz) == '{';
        }
        file.Position = 0;
        return FirstNonSpace(file) == '{';
    }

    private static int FirstNonSpace(System.IO.Stream s)
    {
        int b;
        try
        {
            do b = s.ReadByte(); while (b is ' ' or '\t' or '\r' or '\n');
        }
        catch (InvalidDataException)
        {
            return -1;
        }
        return b;
    }
}
