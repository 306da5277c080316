namespace Qevm.Qmp.Server;

/// <summary>A command's failure as QMP reports it: <c>{"error": {"class": ..., "desc": ...}}</c>.</summary>
internal sealed class QmpCommandError(string errorClass, string description) : Exception(description)
{
    public const string GenericError = "GenericError";
    public const string CommandNotFound = "CommandNotFound";

    /// <summary>QEMU's <c>QapiErrorClass</c> name.</summary>
    public string ErrorClass { get; } = errorClass;

    public static QmpCommandError Generic(string description) => new(GenericError, description);
}
