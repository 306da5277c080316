namespace Qevm.Fuzz.Targets;

/// <summary>
/// <c>compose</c> JSON: one input is read as a <c>dump --json</c> document (its container, then the stream it
/// describes, written nowhere). Only <see cref="VmStateFormatException"/> may come out.
/// </summary>
public static class ComposeTarget
{
    /// <summary>Runs one input; throws only when the error contract is broken.</summary>
    public static void Run(byte[] data)
    {
        try
        {
            StateComposer.ReadContainer(data);
            StateComposer.Compose(data, Stream.Null);
        }
        catch (VmStateFormatException)
        {
            // the error contract
        }
    }
}
