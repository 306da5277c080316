namespace Qevm.Iterative.Ram;

/// <summary>
/// Writes a mapped-ram region (§11.6) as its parts at their offsets: what lies between them stays a hole, as in the
/// sparse file QEMU writes, so the output has the input's size without writing absent pages.
/// </summary>
internal struct MappedRamRegionWriter(VmStateWriter writer, long length)
{
    private long _at; // relative to the region: where the last part ended

    /// <summary>Writes <paramref name="data"/> (the bitmap or a page) at <paramref name="at"/>, after the previous part.</summary>
    public void Write(long at, ReadOnlySpan<byte> data)
    {
        writer.WriteHole(at - _at);
        writer.WriteRaw(data);
        _at = at + data.Length;
    }

    /// <summary>The hole up to the end of the region.</summary>
    public readonly void End() => writer.WriteHole(length - _at);
}
