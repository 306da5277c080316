namespace Qevm.Fuzz.Targets;

/// <summary>
/// Streams and device-state files: one input is read as a stream (record table, every RAM record), decoded with
/// its own trailer and copied. Only <see cref="VmStateFormatException"/> may come out.
/// </summary>
public static class StreamsTarget
{
    /// <summary>Runs one input; throws only when the error contract is broken.</summary>
    public static void Run(byte[] data)
    {
        try
        {
            StateDump.Read(new MemoryStream(data, writable: false));
            StreamCopier.Copy(new MemoryStream(data, writable: false), Stream.Null);
        }
        catch (VmStateFormatException)
        {
            // the error contract
        }
    }
}
