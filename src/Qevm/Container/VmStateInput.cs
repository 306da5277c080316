using System.Buffers.Binary;

namespace Qevm.Container;

/// <summary>
/// A QEMU stream found inside whatever holds it, detected by magic: a bare stream, a libvirt save image
/// (<c>LibvirtQemudSave</c>), a qcow2 image's internal snapshot (<c>QFI\xfb</c>, with
/// <see cref="VmStateInputOptions.Snapshot"/>), or a gzip/zstd/xz/bzip2-compressed stream.
/// <see cref="Stream"/> starts at the QEMU stream's first byte, so offsets count from there.
/// </summary>
public sealed class VmStateInput : IDisposable
{
    private const int MagicLength = 16;

    private VmStateInput(System.IO.Stream stream, VmStateContainer? container)
    {
        Stream = stream;
        Container = container;
    }

    /// <summary>The QEMU stream: seekable for bare files, raw libvirt images and qcow2 snapshots; forward-only when compressed.</summary>
    public System.IO.Stream Stream { get; }

    /// <summary>The container, or null for a bare stream.</summary>
    public VmStateContainer? Container { get; }

    /// <summary>Opens the stream inside <paramref name="input"/> (from its current position); takes ownership of it.</summary>
    public static VmStateInput Open(System.IO.Stream input, VmStateInputOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new VmStateInputOptions();
        try
        {
            return OpenCore(input, options);
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    private static VmStateInput OpenCore(System.IO.Stream input, VmStateInputOptions options)
    {
        var head = new byte[MagicLength];
        long origin = input.CanSeek ? input.Position : 0;
        int got = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var magic = head[..got];
        long? length = input.CanSeek ? input.Length - origin : null;
        // Back to the first byte: a seek on files, the bytes read replayed on pipes.
        System.IO.Stream Rewound()
        {
            if (input.CanSeek)
            {
                input.Position = origin;
                return input;
            }
            return new PrefixedStream(magic, input);
        }
        bool qcow2 = got >= 4 && BinaryPrimitives.ReadUInt32BigEndian(magic) == Qcow2Image.Magic;
        if (options.Snapshot is not null && !qcow2)
            throw new ArgumentException("a snapshot was named, but this input is not a qcow2 image", nameof(options));
        if (LibvirtSaveHeader.IsMagic(magic))
        {
            var rest = Rewound();
            var header = LibvirtSaveHeader.Read(rest, length, options.AllowPartial);
            var compression = header.Compression;
            if (compression is StreamCompression.Raw or StreamCompression.Sparse)
            {
                // A sparse image is a mapped-ram stream that QEMU wrote at file:PATH,offset=N: its offsets count from the file's start.
                var stream = input.CanSeek
                    ? new WindowStream(input, origin + header.StreamOffset, length!.Value - header.StreamOffset)
                    {
                        MappedRamBase = compression == StreamCompression.Sparse ? header.StreamOffset : 0,
                    }
                    : rest;
                return new VmStateInput(stream, header);
            }
            return new VmStateInput(Compression.Decompress(rest, compression, header.StreamOffset), header);
        }
        if (qcow2)
        {
            if (!input.CanSeek) throw new NotSupportedException("a qcow2 image needs a seekable input (a file, not a pipe)");
            var image = Qcow2Image.Open(input, origin);
            if (options.Snapshot is null)
                throw new SnapshotRequiredException(image.Snapshots);
            var snapshot = image.Find(options.Snapshot);
            return new VmStateInput(image.OpenVmState(snapshot), new Qcow2SnapshotContainer(image, snapshot));
        }
        if (Compression.Detect(magic) is { } format)
            return new VmStateInput(Compression.Decompress(Rewound(), format), new CompressedContainer(format));
        return new VmStateInput(Rewound(), null);
    }

    /// <summary>Closes the stream and the input under it.</summary>
    public void Dispose() => Stream.Dispose();
}
