using System.Globalization;

namespace Qevm.Edit;

/// <summary>
/// Replaces the device sections of a migration stream with those of a device-state file, matched by idstr and
/// instance id: the Xen restore flow (memory from one source, device state from <c>xen-save-devices-state</c>).
/// Refuses sections with another version and sections missing on either side.
/// </summary>
public static class Splice
{
    /// <summary>
    /// Writes <paramref name="stream"/> to <paramref name="output"/> with the FULL sections of
    /// <paramref name="devices"/>. <paramref name="stream"/> is read twice, so it must be seekable.
    /// </summary>
    public static void Apply(System.IO.Stream devices, System.IO.Stream stream, System.IO.Stream output)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long start = stream.Position;
        var replacements = Replacements(devices, stream);
        stream.Position = start;
        StreamCopier.Copy(stream, output, null, replacements);
    }

    /// <summary>
    /// As <see cref="Apply(System.IO.Stream, System.IO.Stream, System.IO.Stream)"/>, for a stream that cannot seek
    /// (compressed, inside a container): <paramref name="openStream"/> is called once per pass.
    /// </summary>
    public static void Apply(System.IO.Stream devices, Func<System.IO.Stream> openStream, System.IO.Stream output)
    {
        ArgumentNullException.ThrowIfNull(openStream);
        Dictionary<long, byte[]> replacements;
        using (var first = openStream()) replacements = Replacements(devices, first);
        using var second = openStream();
        StreamCopier.Copy(second, output, null, replacements);
    }

    private static Dictionary<long, byte[]> Replacements(System.IO.Stream devices, System.IO.Stream stream)
    {
        var fromDevices = FullSections(devices);
        var inStream = FullSections(stream);
        var byKey = new Dictionary<(string, uint), (SectionHeader Header, long Offset, byte[] Payload)>();
        foreach (var d in fromDevices) byKey[(d.Header.Idstr, d.Header.InstanceId)] = d;
        var replacements = new Dictionary<long, byte[]>();
        var used = new HashSet<(string, uint)>();
        foreach (var s in inStream)
        {
            var key = (s.Header.Idstr, s.Header.InstanceId);
            if (!byKey.TryGetValue(key, out var d))
                throw new ArgumentException($"the device-state file has no section {Name(s.Header)}, which the stream has");
            if (d.Header.VersionId != s.Header.VersionId)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Name(s.Header)}: version {d.Header.VersionId} in the device-state file, {s.Header.VersionId} in the stream"));
            replacements[s.Offset] = d.Payload;
            used.Add(key);
        }
        foreach (var d in fromDevices)
            if (!used.Contains((d.Header.Idstr, d.Header.InstanceId)))
                throw new ArgumentException($"the stream has no section {Name(d.Header)}, which the device-state file has");
        return replacements;
    }

    private static string Name(SectionHeader h) => h.Idstr + "#" + h.InstanceId.ToString(CultureInfo.InvariantCulture);

    private static List<(SectionHeader Header, long Offset, byte[] Payload)> FullSections(System.IO.Stream s)
    {
        var list = new List<(SectionHeader, long, byte[])>();
        StreamInfo.Read(s, null, r =>
        {
            if (r.RecordType == RecordType.SectionFull) list.Add((r.Section!, r.RecordOffset, r.Payload.ToArray()));
        }, null, out _);
        return list;
    }
}
