using Qevm.Engine;
using Qevm.Engine.Devices;

namespace Qevm.Fuzz.Targets;

/// <summary>
/// Device-state files into the engine's loader: one input is loaded into <see cref="SampleMachine"/>'s devices,
/// once refusing and once skipping sections of other devices. Only <see cref="VmStateFormatException"/> may come
/// out, and after a refused load every device keeps its state: a save after it gives the bytes of the save before.
/// </summary>
public static class LoaderTarget
{
    /// <summary>Runs one input; throws only when the error contract is broken.</summary>
    public static void Run(byte[] data)
    {
        foreach (bool skip in (bool[])[false, true])
        {
            var machine = new SampleMachine();
            // Loaded state differs from reset state, so that "unchanged" is not just "still reset".
            machine.Rtc.State.CmosData[0x10] = 0x5A;
            machine.Master.State.IrqBase = 0x18;
            var before = Save(machine);
            try
            {
                machine.Registry.LoadDeviceState(new MemoryStream(data, writable: false), new LoadOptions { SkipUnknownSections = skip });
            }
            catch (VmStateFormatException e)
            {
                var after = Save(machine);
                if (!after.AsSpan().SequenceEqual(before))
                    throw new InvalidOperationException("a refused load changed the devices' state: " + e.Message, e);
            }
        }
    }

    private static byte[] Save(SampleMachine machine)
    {
        var ms = new MemoryStream();
        machine.Registry.SaveDeviceState(ms);
        return ms.ToArray();
    }
}
