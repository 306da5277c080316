using System.Globalization;

namespace Qevm.IO;

/// <summary>
/// What the reader reads through: absolute offsets, peeks of any length, skips. <see cref="Open"/> maps a
/// regular file into memory (no copying; skipped page data is never touched) and buffers anything else.
/// </summary>
internal abstract class InputCursor : IDisposable
{
    /// <summary>A cursor over <paramref name="stream"/>: memory-mapped for a file, buffered otherwise.</summary>
    public static InputCursor Open(System.IO.Stream stream, long maxBuffer, bool allowMap) =>
        allowMap && stream is FileStream { CanSeek: true } fs && fs.Length - fs.Position > 0
            ? new MappedCursor(fs, maxBuffer)
            : new StreamCursor(stream, maxBuffer);

    /// <summary>Stream position that is offset 0.</summary>
    public abstract long Origin { get; }

    /// <summary>Total input length when known (seekable input), else null.</summary>
    public abstract long? Length { get; }

    public abstract long Position { get; }

    /// <summary>Bytes readable without waiting (at most <see cref="int.MaxValue"/>).</summary>
    public abstract int Available { get; }

    /// <summary>Makes at least <paramref name="count"/> bytes available; false when the input ends first.</summary>
    public abstract bool Ensure(int count);

    /// <summary>The next <paramref name="count"/> bytes, not consumed; throws at end of data.</summary>
    public abstract ReadOnlySpan<byte> Peek(int count);

    /// <summary>Whatever is available from the current position (call <see cref="Ensure"/> first).</summary>
    public abstract ReadOnlySpan<byte> Buffered { get; }

    /// <summary>Consumes bytes that are available (after a successful peek).</summary>
    public abstract void Advance(int count);

    /// <summary>Skips <paramref name="count"/> bytes without reading them where the input allows.</summary>
    public abstract void Skip(long count);

    /// <summary>Reads bytes at an absolute offset without moving the cursor (seekable input only).</summary>
    public abstract void ReadAt(long offset, Span<byte> destination);

    /// <summary>
    /// True when spans from <see cref="Peek"/> stay valid until <see cref="BeforeRelease"/> is called (a mapping),
    /// not only until the next call (a buffer that is refilled in place).
    /// </summary>
    public virtual bool StableSpans => false;

    /// <summary>Called before the memory behind earlier spans is released (for <see cref="StableSpans"/> cursors).</summary>
    public Action? BeforeRelease { get; set; }

    /// <summary>True when no byte remains.</summary>
    public bool AtEnd => !Ensure(1);

    public abstract void Dispose();

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    protected void ThrowTruncated(int count) => ThrowTruncatedAt(Position + Available, count - Available);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    protected static void ThrowTruncatedAt(long end, long missing) =>
        throw new VmStateFormatException(VmStateError.Truncated, end,
            string.Create(CultureInfo.InvariantCulture, $"{missing} more byte(s)"), "end of data",
            "load of migration failed: Input/output error");
}
