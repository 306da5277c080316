using Qevm.IO;

namespace Qevm.Streams;

public sealed partial class VmStateReader
{
    private readonly Dictionary<string, IIterativeHandler> _handlers = new(StringComparer.Ordinal);
    private RamHandler? _ram;
    private IIterativeHandler? _handler;
    private bool _itemsActive;
    private IterativeItem _item;

    /// <summary>The current record of an iterative section's data (after <see cref="ReadItem"/> returned true).</summary>
    public ref readonly IterativeItem Item => ref _item;

    /// <summary>All bytes of the current item (not for <see cref="IterativeItemKind.RamMappedRegion"/>).</summary>
    public ReadOnlySpan<byte> ItemBytes => _in.Peek(checked((int)_pending));

    /// <summary>The payload of the current item: page bytes, XBZRLE or zlib data.</summary>
    public ReadOnlySpan<byte> ItemData => _in.Peek(checked((int)_pending)).Slice(_item.DataOffset, _item.DataLength);

    /// <summary>
    /// True when <see cref="ItemData"/> spans stay valid until <paramref name="beforeRelease"/> is called (a memory-mapped
    /// input), which then registers it; false otherwise (spans valid only until the next read).
    /// </summary>
    internal bool KeepItemData(Action beforeRelease)
    {
        if (!_in.StableSpans) return false;
        _in.BeforeRelease = beforeRelease;
        return true;
    }

    /// <summary>
    /// Reads bytes of the current <see cref="IterativeItemKind.RamMappedRegion"/> at an offset relative to its start
    /// (bitmap, pages). Needs a seekable input.
    /// </summary>
    public void ReadRegion(long offset, Span<byte> destination)
    {
        if (_item.Kind != IterativeItemKind.RamMappedRegion || offset < 0 || offset + destination.Length > _item.Length)
            throw new InvalidOperationException("no mapped-ram region at hand, or a range outside it");
        _in.ReadAt(_item.Offset + offset, destination);
    }

    /// <summary>Same as <see cref="ReadRegion(long, Span{byte})"/>, into a new array.</summary>
    public byte[] ReadRegion(long offset, int count)
    {
        var b = new byte[count];
        ReadRegion(offset, b);
        return b;
    }

    /// <summary>
    /// The layout of the current <see cref="IterativeItemKind.RamMappedRegion"/>, relative to the region (the header's
    /// offsets are absolute in the file QEMU wrote: see <see cref="VmStateReaderOptions.MappedRamBase"/>).
    /// </summary>
    public MappedRamRegion MappedRegion =>
        _item is { Kind: IterativeItemKind.RamMappedRegion, Block: { MappedRam: not null } block }
            ? MappedRamRegion.Of(block, _item.Offset, _item.Length, _mappedRamBase)
            : throw new InvalidOperationException("no mapped-ram region at hand");

    /// <summary>The current <see cref="IterativeItemKind.RamMappedRegion"/>'s bitmap (walk it with <see cref="MappedRamRegion.PresentPages"/>).</summary>
    public byte[] ReadMappedBitmap()
    {
        var region = MappedRegion;
        return ReadRegion(region.BitmapAt, region.BitmapLength);
    }

    private void BeginItems(SectionHeader h)
    {
        PayloadLength = -1;
        _awaitFooter = true;
        _itemsActive = true;
        _handler = HandlerFor(h.Idstr);
        _handler.Begin(this, h);
    }

    // One handler per idstr and reader, from the table at the first START of that idstr; its later sections reuse it,
    // so that what a format keeps across sections (RAM: the block list, the CONTINUE block) carries over.
    private IIterativeHandler HandlerFor(string idstr)
    {
        if (!_handlers.TryGetValue(idstr, out var handler))
        {
            _handlers[idstr] = handler = IterativeHandlers.Create(idstr);
            if (handler is RamHandler ram) _ram = ram;
        }
        return handler;
    }

    /// <summary>Reads the next record of the current iterative section's data; false after its end marker.</summary>
    public bool ReadItem()
    {
        try
        {
            ConsumePending();
            if (!_itemsActive) return false;
            // RAM runs once per guest page: a direct call to the sealed handler, not an interface call.
            if (ReferenceEquals(_handler, _ram)) _ram!.Read(this);
            else _handler!.Read(this);
        }
        catch (VmStateFormatException e) when (e.Record is null)
        {
            throw e.WithRecord(Describe());
        }
        return true;
    }

    /// <summary>Describes the record at the input's position as the current item; <paramref name="last"/> ends the section's data.</summary>
    internal void SetItem(IterativeItemKind kind, long length, bool last, ulong flags = 0, ulong value = 0, RamBlock? block = null,
        int dataOffset = 0, int dataLength = 0, byte fill = 0, long present = 0)
    {
        _item = new IterativeItem
        {
            Kind = kind, Offset = _in.Position, Length = length, Flags = flags, Value = value, Block = block,
            DataOffset = dataOffset, DataLength = dataLength, FillByte = fill, PresentPages = present,
        };
        _pending = length;
        if (last) _itemsActive = false;
    }

    // What handlers read through and report to.
    internal InputCursor Input => _in;

    internal MappedCursor? Mapped => _mapped;

    internal VmStateReaderOptions Options => _options;

    internal long MappedRamBase => _mappedRamBase;

    internal ulong PostcopySummary => _postcopySummary;

    internal void AddDiagnostic(Diagnostic d) => _diagnostics.Add(d);
}
