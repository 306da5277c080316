namespace Qevm.Qmp;

/// <summary>
/// The QMP connection failed: it could not be opened, it closed (e.g. QEMU exited) while a reply was awaited, or
/// the peer sent something that is not QMP (no greeting, a line that is not a JSON object).
/// </summary>
public sealed class QmpConnectionException : IOException
{
    /// <summary>Creates the exception.</summary>
    public QmpConnectionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
