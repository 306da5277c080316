namespace Qevm.Fuzz.Targets;

/// <summary>
/// Containers: one input is opened as a libvirt save image, a qcow2 image (its snapshot 1) or a compressed stream,
/// and the stream inside is read. Only <see cref="VmStateFormatException"/> and the refusals containers state
/// (<see cref="NotSupportedException"/> for lzop, <see cref="ArgumentException"/> for a snapshot that is not there)
/// may come out.
/// </summary>
public static class ContainersTarget
{
    /// <summary>Runs one input; throws only when the error contract is broken.</summary>
    public static void Run(byte[] data)
    {
        try
        {
            // A qcow2 image needs a snapshot named; any other input is opened by its magic.
            bool qcow2 = data.Length >= 4 && data[0] == 'Q' && data[1] == 'F' && data[2] == 'I' && data[3] == 0xFB;
            var options = new VmStateInputOptions { AllowPartial = true, Snapshot = qcow2 ? "1" : null };
            using var input = VmStateInput.Open(new MemoryStream(data, writable: false), options);
            StreamInfo.Read(input);
        }
        catch (Exception e) when (e is VmStateFormatException or NotSupportedException or ArgumentException)
        {
            // the stated refusals
        }
    }
}
