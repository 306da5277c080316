using System.Buffers.Binary;
using System.Globalization;

namespace Qevm.Guest;

/// <summary>Reads registers out of a decoded <c>cpu</c> section (x86 and Arm alike).</summary>
internal static class CpuSectionFields
{
    /// <summary>Every <c>cpu</c> section of a decoded stream read by <paramref name="read"/> (in stream order), by instance id (QEMU's <c>cpu_index</c>).</summary>
    /// <exception cref="GuestLayoutException">No <c>cpu</c> section.</exception>
    public static List<T> Cpus<T>(StateDump state, Func<SectionState, T> read)
    {
        var cpus = state.Sections.Where(s => s.Header.Idstr == "cpu").Select(s => (s.Header.InstanceId, Cpu: read(s))).ToList();
        if (cpus.Count == 0) throw new GuestLayoutException("no cpu section: the CPU registers cannot be known");
        return [.. cpus.OrderBy(c => c.InstanceId).Select(c => c.Cpu)];
    }

    /// <summary>An array field's element: one member NAME (an array) or, for single fields like
    /// <c>VMSTATE_UINTTL(env.cr[0])</c> or a disambiguated repeat, the member NAME[i].</summary>
    public static VmValue? Element(VmStruct root, string name, int index) =>
        root[name] is VmArray a && index < a.Elements.Count ? a.Elements[index] : root[name + "[" + index.ToString(CultureInfo.InvariantCulture) + "]"];

    /// <summary>The <paramref name="occurrence"/>-th member named <paramref name="name"/> (QEMU's trailer
    /// names a repeated field NAME[n]; a description without the trailer repeats the bare name).</summary>
    public static VmValue? Occurrence(VmStruct root, string name, int occurrence)
    {
        if (root[name + "[" + occurrence.ToString(CultureInfo.InvariantCulture) + "]"] is VmArray named) return named;
        int seen = 0;
        foreach (var m in root.Members)
            if (m.Key == name && seen++ == occurrence) return m.Value;
        return null;
    }

    /// <summary>The leading scalar elements of an array field, at most <paramref name="count"/> (empty when absent).</summary>
    public static ulong[] Scalars(VmStruct root, string name, int count)
    {
        var values = new List<ulong>();
        for (int i = 0; i < count && Element(root, name, i) is VmScalar v; i++) values.Add(v.Bits);
        return [.. values];
    }

    public static ulong Scalar(VmStruct root, SectionState s, string name, int index) =>
        (Element(root, name, index) as VmScalar)?.Bits ?? throw Missing(s, name + "[" + index.ToString(CultureInfo.InvariantCulture) + "]");

    public static ulong Scalar(VmStruct root, SectionState s, string name) =>
        (root[name] as VmScalar)?.Bits ?? throw Missing(s, name);

    /// <summary>A scalar, or a 1-8 byte field QEMU writes with its own big-endian put (cpsr, fpscr); null when absent.</summary>
    public static ulong? Value(VmValue? v) => v switch
    {
        VmScalar sc => sc.Bits,
        VmBytes { Bytes: { Length: > 0 and <= 8 } b } => BigEndian(b),
        _ => null,
    };

    private static ulong BigEndian(byte[] b)
    {
        Span<byte> padded = stackalloc byte[8];
        b.CopyTo(padded[(8 - b.Length)..]);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }

    public static GuestLayoutException Missing(SectionState s, string field) =>
        new($"{s.Path} has no {field}: the CPU registers cannot be read");

    /// <summary>The decoded root of a section, or why not.</summary>
    public static VmStruct Root(SectionState section) =>
        section.Root ?? throw new GuestLayoutException($"{section.Path} is not decoded (no description fits): its registers cannot be read");
}
