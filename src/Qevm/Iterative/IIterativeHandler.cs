namespace Qevm.Iterative;

/// <summary>
/// The format of one kind of iterative section's data (QEMU's <c>SaveVMHandlers.load_state</c>): parses the record
/// at the reader's position and describes it with <see cref="VmStateReader.SetItem"/>. One instance per reader and
/// idstr, so that state a format keeps across sections (RAM's block list and CONTINUE block) lives here.
/// </summary>
internal interface IIterativeHandler
{
    /// <summary>Called at every START, PART and END record of the section, before its first data record.</summary>
    void Begin(VmStateReader reader, SectionHeader section)
    {
        // Most formats need nothing: each record says what it is.
    }

    /// <summary>Parses the next record; the one with the end marker sets the item with <c>last</c>.</summary>
    void Read(VmStateReader reader);
}
