using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Qevm.IO;

/// <summary>
/// Writes runs of pages that lie at consecutive file offsets with one <c>pwritev</c> each, straight from the
/// memory they are in (a memory-mapped input): no copy into a staging buffer. Linux only; the caller keeps the
/// memory valid until <see cref="Flush"/>.
/// </summary>
internal sealed unsafe partial class GatherWriter
{
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport("libc", EntryPoint = "pwritev", SetLastError = true)]
    private static partial nint PWriteV(int fd, IoVec* iov, int iovcnt, long offset);

    private const int MaxVectors = 1024; // IOV_MAX on Linux
    private readonly IoVec[] _vectors = new IoVec[MaxVectors];
    private SafeFileHandle? _file;
    private long _start;
    private long _length;
    private int _count;

    /// <summary>True where <c>pwritev</c> exists.</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>True while spans are waiting to be written.</summary>
    public bool Pending => _count > 0;

    /// <summary>Queues <paramref name="data"/> for <paramref name="offset"/>; it must stay valid until the next flush.</summary>
    public void Append(SafeFileHandle file, long offset, ReadOnlySpan<byte> data)
    {
        if (_file != file || offset != _start + _length || _count == MaxVectors)
        {
            Flush();
            _file = file;
            _start = offset;
        }
        _vectors[_count++] = new IoVec { Base = Unsafe.AsPointer(ref MemoryMarshal.GetReference(data)), Length = (nuint)data.Length };
        _length += data.Length;
    }

    /// <summary>Writes what is queued.</summary>
    public void Flush()
    {
        if (_count == 0) return;
        bool added = false;
        _file!.DangerousAddRef(ref added);
        try
        {
            int fd = (int)_file.DangerousGetHandle();
            fixed (IoVec* vectors = _vectors)
            {
                int first = 0;
                long offset = _start;
                while (first < _count)
                {
                    nint n = PWriteV(fd, vectors + first, _count - first, offset);
                    if (n < 0) throw new IOException("cannot write RAM block file: " + Marshal.GetLastPInvokeErrorMessage());
                    offset += n;
                    // A short write: drop the vectors written and shorten the one written in part.
                    while (n > 0 && first < _count)
                    {
                        if ((nuint)n >= vectors[first].Length)
                        {
                            n -= (nint)vectors[first].Length;
                            first++;
                        }
                        else
                        {
                            vectors[first].Base = (byte*)vectors[first].Base + n;
                            vectors[first].Length -= (nuint)n;
                            n = 0;
                        }
                    }
                }
            }
        }
        finally
        {
            if (added) _file.DangerousRelease();
            _count = 0;
            _length = 0;
        }
    }
}
