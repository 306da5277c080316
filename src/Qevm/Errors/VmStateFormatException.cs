using System.Globalization;

namespace Qevm.Errors;

/// <summary>
/// Invalid VM-state bytes: where (absolute byte offset), in which record, what was expected and found,
/// and QEMU's own message for the same fault when QEMU has one (FORMAT.md §17).
/// </summary>
public sealed class VmStateFormatException : Exception
{
    /// <summary>Creates the exception; the message is composed from the parts.</summary>
    public VmStateFormatException(VmStateError error, long offset, string expected, string? found = null,
        string? qemuMessage = null, string? record = null)
        : base(Compose(offset, record, expected, found, qemuMessage))
    {
        Error = error;
        Offset = offset;
        Expected = expected;
        Found = found;
        QemuMessage = qemuMessage;
        Record = record;
    }

    /// <summary>Stable code of the fault.</summary>
    public VmStateError Error { get; }

    /// <summary>Absolute offset of the byte where the expectation failed.</summary>
    public long Offset { get; }

    /// <summary>The record being read, e.g. <c>FULL 27 'port92' #0 at 0x1a0</c>; null at file level.</summary>
    public string? Record { get; }

    /// <summary>What the reader expected.</summary>
    public string Expected { get; }

    /// <summary>What it found instead, when that says something.</summary>
    public string? Found { get; }

    /// <summary>QEMU's message for the same fault (§17), when QEMU has one.</summary>
    public string? QemuMessage { get; }

    internal VmStateFormatException WithRecord(string record) =>
        Record is null ? new VmStateFormatException(Error, Offset, Expected, Found, QemuMessage, record) : this;

    private static string Compose(long offset, string? record, string expected, string? found, string? qemu)
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"offset 0x{offset:x} ({offset})");
        if (record is not null) s += ": " + record;
        s += ": expected " + expected;
        if (found is not null) s += ", found " + found;
        if (qemu is not null) s += " (QEMU: " + qemu + ")";
        return s;
    }
}
