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

    /// <summary>Where in a JSON input the fault is (<c>$.records[0].type</c>); null for a fault in stream bytes.</summary>
    public string? JsonPath { get; }

    private VmStateFormatException(string jsonPath, string message, VmStateError error, long offset, string expected, string? found)
        : base(message)
    {
        Error = error;
        Offset = offset;
        Expected = expected;
        Found = found;
        JsonPath = jsonPath;
    }

    /// <summary>
    /// A value of a JSON input (a compose document, a schema) that is not what it must be; the message names its
    /// path: <c>$.sections[2].fields[0].value: expected a number, found a string</c>. <paramref name="offset"/> is
    /// where the JSON starts in a stream (a trailer), else 0.
    /// </summary>
    public static VmStateFormatException InJson(VmStateError error, string jsonPath, string expected, string found, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(jsonPath);
        return new(jsonPath, jsonPath + ": expected " + expected + ", found " + found, error, offset, expected, found);
    }

    /// <summary>A required JSON property that is absent: <c>$.records[0].type: missing</c>.</summary>
    public static VmStateFormatException MissingInJson(VmStateError error, string jsonPath, string expected, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(jsonPath);
        return new(jsonPath, jsonPath + ": missing", error, offset, expected, "nothing");
    }

    /// <summary>A JSON value that has the right type but cannot be used, for <paramref name="reason"/>: <c>PATH: REASON</c>.</summary>
    public static VmStateFormatException RefusedInJson(VmStateError error, string jsonPath, string reason, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(jsonPath);
        ArgumentNullException.ThrowIfNull(reason);
        return new(jsonPath, jsonPath + ": " + reason, error, offset, "a value that fits", reason);
    }

    internal VmStateFormatException WithRecord(string record) =>
        Record is null && JsonPath is null ? new VmStateFormatException(Error, Offset, Expected, Found, QemuMessage, record) : this;

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
