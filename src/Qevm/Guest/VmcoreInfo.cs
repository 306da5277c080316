using System.Buffers.Binary;

namespace Qevm.Guest;

/// <summary>
/// The guest's VMCOREINFO note, as QEMU 7.2's <c>dump-guest-memory</c> copies it into the ELF core (dump/dump.c
/// <c>dump_init</c>, <c>write_guest_note</c>): the <c>vmcoreinfo</c> device (hw/misc/vmcoreinfo.c, fw_cfg
/// <c>etc/vmcoreinfo</c>) holds the guest-physical address and size of the note once the Linux guest wrote them;
/// the note is read from guest RAM there and written after every CPU's notes, as long as its header fits the size
/// the guest gave. Where QEMU only warns (no note yet, a size or format it refuses) the core has no guest note.
/// </summary>
public static class VmcoreInfo
{
    // FW_CFG_VMCOREINFO_FORMAT_ELF; MAX_GUEST_NOTE_SIZE; sizeof(Elf64_Nhdr).
    private const ushort FormatElf = 1;
    private const uint MaxGuestNoteSize = 1 << 20;
    private const uint NoteHeadSize = 12;

    /// <summary>
    /// Where the guest's note is (guest-physical address, size of the buffer the guest gave), when the stream has a
    /// decoded <c>vmcoreinfo</c> section that QEMU would take a note from; else null.
    /// </summary>
    public static (ulong Address, uint Size)? Locate(StateDump state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var section = state.Sections.FirstOrDefault(s => s.Header.Idstr == "vmcoreinfo");
        if (section?.Root is not VmStruct root) return null;
        // The device keeps fw_cfg's little-endian words as they are in memory: on a little-endian host VMSTATE_UINT*
        // saves their values.
        if (Scalar(root, "has_vmcoreinfo") is not 1) return null;
        if (Scalar(root, "vmcoreinfo.guest_format") is not { } format || format != FormatElf) return null;
        if (Scalar(root, "vmcoreinfo.size") is not { } size || size < NoteHeadSize || size > MaxGuestNoteSize) return null;
        if (Scalar(root, "vmcoreinfo.paddr") is not { } paddr) return null;
        return (paddr, (uint)size);
    }

    /// <summary>
    /// The note QEMU writes from the guest's buffer (<paramref name="buffer"/>: the bytes at the note's address, as
    /// many as the size the guest gave): its first ELF_NOTE_SIZE bytes, or null when its header does not fit.
    /// </summary>
    public static byte[]? Note(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < NoteHeadSize) return null;
        ulong name = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
        ulong desc = BinaryPrimitives.ReadUInt32LittleEndian(buffer[4..]);
        if (name > MaxGuestNoteSize || desc > MaxGuestNoteSize) return null;
        ulong size = (NoteHeadSize + 3) / 4 * 4 + (name + 3) / 4 * 4 + (desc + 3) / 4 * 4;
        return size > (ulong)buffer.Length ? null : buffer[..(int)size].ToArray();
    }

    // The descriptor's text (OSRELEASE=... lines) of a note Note() returned (its sizes are checked there).
    internal static string Text(ReadOnlySpan<byte> note)
    {
        int name = (int)BinaryPrimitives.ReadUInt32LittleEndian(note);
        int desc = (int)BinaryPrimitives.ReadUInt32LittleEndian(note[4..]);
        return System.Text.Encoding.ASCII.GetString(note.Slice(12 + (name + 3) / 4 * 4, desc)).TrimEnd('\0');
    }

    // Reads the note from guest RAM through the page walk (one more pass over the stream), when the state locates one.
    internal static byte[]? Read(Func<System.IO.Stream> open, IReadOnlyList<ISchemaSource>? schemas, StateDump state,
        GuestPhysicalLayout layout, IReadOnlyList<RamFileSource>? ramFiles)
    {
        if (Locate(state) is not { } at || !GuestMemoryReader.IsRam(layout, at.Address, at.Size)) return null;
        using var window = GuestMemoryReader.ReadWindow(open, schemas, state, layout, at.Address, at.Size, ramFiles, out long skip);
        var buffer = new byte[at.Size];
        window.Position = skip;
        window.ReadExactly(buffer);
        return Note(buffer);
    }

    private static ulong? Scalar(VmStruct root, string name) => root[name] switch
    {
        VmScalar s => s.Bits,
        _ => null,
    };
}
