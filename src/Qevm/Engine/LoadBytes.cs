namespace Qevm.Engine;

/// <summary>A section's payload indexed by file offsets (the bytes a <see cref="LoadInput"/> reads).</summary>
internal readonly struct LoadBytes(byte[] bytes, long start)
{
    /// <summary>The <paramref name="length"/> bytes at file offset <paramref name="offset"/>, which must lie in the payload.</summary>
    public ReadOnlySpan<byte> AsSpan(long offset, int length) => bytes.AsSpan(checked((int)(offset - start)), length);
}
