namespace Qevm.IO;

/// <summary>
/// Writes a file through a temporary file in the target's folder, flushed to disk and then renamed over the
/// target, so that an error leaves no partial output and the target as it was.
/// </summary>
public static class AtomicFile
{
    /// <summary>Runs <paramref name="write"/> on a temporary file and renames it to <paramref name="path"/> when it succeeds.</summary>
    public static void Write(string path, Action<System.IO.Stream> write)
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
                fs.Flush(flushToDisk: true);
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
