namespace Qevm.Container;

/// <summary>A compression around a QEMU stream (numbers are libvirt's save-image format codes).</summary>
public enum StreamCompression
{
    /// <summary>Not compressed.</summary>
    Raw = 0,
    /// <summary>gzip.</summary>
    Gzip = 1,
    /// <summary>bzip2.</summary>
    Bzip2 = 2,
    /// <summary>xz.</summary>
    Xz = 3,
    /// <summary>lzop (recognized, not supported: no maintained .NET library).</summary>
    Lzop = 4,
    /// <summary>zstd.</summary>
    Zstd = 5,
    /// <summary>libvirt's sparse format: QEMU's mapped-ram stream written in place, not compressed.</summary>
    Sparse = 6,
}
