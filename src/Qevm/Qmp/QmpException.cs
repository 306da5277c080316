namespace Qevm.Qmp;

/// <summary>
/// QEMU answered a command with <c>{"error": {"class": ..., "desc": ...}}</c>. The class is QMP's error class
/// (<c>GenericError</c>, <c>CommandNotFound</c>, <c>DeviceNotFound</c>, ...), the description QEMU's own words.
/// </summary>
public sealed class QmpException : Exception
{
    /// <summary>Creates the exception for an error reply to <paramref name="command"/>.</summary>
    public QmpException(string command, string errorClass, string description)
        : base($"{errorClass}: {description}")
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    /// <summary>The command that failed.</summary>
    public string Command { get; }

    /// <summary>QMP's error class, e.g. <c>CommandNotFound</c>.</summary>
    public string ErrorClass { get; }

    /// <summary>QEMU's description of the error.</summary>
    public string Description { get; }
}
