namespace Qevm.IO;

/// <summary>
/// Writes a file through a temporary file in the target's folder, flushed to disk and then renamed over the
/// target, so that an error leaves no partial output and the target as it was.
/// </summary>
public static class AtomicFile
{
    /// <summary>Runs <paramref name="write"/> on a temporary file and renames it to <paramref name="path"/> when it succeeds.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="write">Writes the content.</param>
    /// <param name="flushToDisk">
    /// Whether the content reaches the disk before the rename (fsync). False for large outputs derived from an input
    /// that stays as it was (a guest's memory image: QEMU's own dump-guest-memory does not sync either), where the
    /// sync would double the time of a write at disk speed; a crash may then leave the new file incomplete, never the
    /// input.
    /// </param>
    public static void Write(string path, Action<System.IO.Stream> write, bool flushToDisk = true)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>True when both paths name the same file (same path, or same file through links).</summary>
    public static bool SameFile(string a, string b)
    {
        var fa = Path.GetFullPath(a);
        var fb = Path.GetFullPath(b);
        if (string.Equals(fa, fb, StringComparison.Ordinal)) return true;
        if (!File.Exists(fa) || !File.Exists(fb)) return false;
        var ra = new FileInfo(fa).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? fa;
        var rb = new FileInfo(fb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? fb;
        return string.Equals(ra, rb, StringComparison.Ordinal);
    }
}
