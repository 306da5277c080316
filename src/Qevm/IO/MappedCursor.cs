using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Qevm.IO;

/// <summary>
/// A regular file read through a memory-mapped window: peeks are spans over the mapping and skips move an
/// offset, so page data nobody asks for is never copied, and skipped regions are never touched. The window
/// (32 MiB, or as large as one record needs) moves forward, which keeps the resident size bounded.
/// </summary>
internal sealed unsafe partial class MappedCursor : InputCursor
{
    // Linux: map windows with MAP_POPULATE, so a window's page-table entries are made in one go rather than by
    // one fault per 64 KiB (half the system time of a scan). Elsewhere: MemoryMappedFile.
    private const int ProtRead = 1, MapShared = 1, MapPopulate = 0x8000;
    private static readonly bool UseMmap = OperatingSystem.IsLinux();
    private void* _mmapBase;
    private nuint _mmapLength;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(void* addr, nuint length);

    private const long Window = 32 << 20;
    private readonly FileStream _file;
    private readonly MemoryMappedFile _map;
    private readonly long _length;
    private readonly long _maxWindow;
    private MemoryMappedViewAccessor? _view;
    private byte* _viewBase;
    private long _viewStart;
    private long _viewLength;
    private long _pos;

    public MappedCursor(FileStream file, long maxWindow)
    {
        _file = file;
        Origin = file.Position;
        _length = file.Length - Origin;
        _maxWindow = maxWindow;
        _map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
    }

    public override long Origin { get; }

    public override long? Length => _length;

    public override long Position => _pos;

    public override int Available
    {
        get
        {
            long left = _length - _pos;
            return left < int.MaxValue && left <= _maxWindow ? (int)left : (int)Math.Min(_maxWindow, int.MaxValue);
        }
    }

    public override bool Ensure(int count)
    {
        if (count > _maxWindow)
            throw new VmStateFormatException(VmStateError.LimitExceeded, _pos,
                string.Create(CultureInfo.InvariantCulture, $"at most {_maxWindow} bytes of lookahead"),
                string.Create(CultureInfo.InvariantCulture, $"a record needing {count}"));
        long have = Math.Min(count, _length - _pos);
        if (have > 0) Map(have);
        return _length - _pos >= count;
    }

    public override ReadOnlySpan<byte> Peek(int count)
    {
        // The common case, once per RAM record: inside the current window.
        long rel = _pos - _viewStart;
        if (_viewBase != null && rel >= 0 && rel <= _viewLength && count <= _viewLength - rel)
            return new ReadOnlySpan<byte>(_viewBase + rel, count);
        if (!Ensure(count)) ThrowTruncated(count);
        return new ReadOnlySpan<byte>(_viewBase + (_pos - _viewStart), count);
    }

    public override ReadOnlySpan<byte> Buffered
    {
        get
        {
            long n = Math.Min(_length - _pos, Math.Min(_maxWindow, int.MaxValue));
            if (n <= 0) return [];
            if ((_view is null && _mmapBase is null) || _pos < _viewStart || _pos >= _viewStart + _viewLength) Map(1);
            n = Math.Min(n, _viewStart + _viewLength - _pos);
            return new ReadOnlySpan<byte>(_viewBase + (_pos - _viewStart), (int)n);
        }
    }

    public override void Advance(int count)
    {
        if (count > _length - _pos) throw new InvalidOperationException("advance beyond the end of the data");
        _pos += count;
    }

    public override void Skip(long count)
    {
        if (count > _length - _pos) ThrowTruncatedAt(_length, count - (_length - _pos));
        _pos += count;
    }

    public override void ReadAt(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > _length) ThrowTruncatedAt(_length, offset + destination.Length - _length);
        RandomAccess.Read(_file.SafeFileHandle, destination, Origin + offset);
    }

    // Makes the view cover [_pos, _pos + count): a new window from _pos when it does not.
    private void Map(long count)
    {
        if ((_view is not null || _mmapBase is not null) && _pos >= _viewStart && _pos + count <= _viewStart + _viewLength) return;
        Unmap();
        long length = Math.Min(_length - _pos, Math.Max(Window, count));
        if (UseMmap)
        {
            long fileOffset = Origin + _pos;
            long aligned = fileOffset & ~4095L;
            nuint total = (nuint)(length + (fileOffset - aligned));
            bool added = false;
            _file.SafeFileHandle.DangerousAddRef(ref added);
            try
            {
                void* mapped = Mmap(null, total, ProtRead, MapShared | MapPopulate, (int)_file.SafeFileHandle.DangerousGetHandle(), aligned);
                if (mapped != (void*)-1)
                {
                    _mmapBase = mapped;
                    _mmapLength = total;
                    _viewBase = (byte*)mapped + (fileOffset - aligned);
                    _viewStart = _pos;
                    _viewLength = length;
                    return;
                }
            }
            finally
            {
                if (added) _file.SafeFileHandle.DangerousRelease();
            }
        }
        _view = _map.CreateViewAccessor(Origin + _pos, length, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _viewBase = p + _view.PointerOffset;
        _viewStart = _pos;
        _viewLength = length;
    }

    public override bool StableSpans => true;

    private void Unmap()
    {
        if (_viewBase != null) BeforeRelease?.Invoke();
        _viewBase = null;
        if (_mmapBase is not null)
        {
            _ = Munmap(_mmapBase, _mmapLength);
            _mmapBase = null;
        }
        if (_view is null) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _view = null;
    }

    public override void Dispose()
    {
        Unmap();
        _map.Dispose();
    }
}
