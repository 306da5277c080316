namespace Qevm.Engine.Devices;

/// <summary>
/// The sample devices of a PC, registered as QEMU 7.2's <c>pc</c> machine registers them (§4.7, §4.10): i8259
/// instances 0 and 1, <c>mc146818rtc</c>, <c>i8254</c>, with their legacy instance ids.
/// </summary>
public sealed class SampleMachine
{
    /// <summary>Creates the devices and registers them in a new registry.</summary>
    public SampleMachine()
    {
        Registry.Register(Master, aliasId: Master.IoBase);
        Registry.Register(Slave, aliasId: Slave.IoBase);
        Registry.Register(Rtc, aliasId: Mc146818Rtc.LegacyInstanceId);
        Registry.Register(Pit, aliasId: I8254.LegacyInstanceId);
    }

    /// <summary>The registry holding the devices.</summary>
    public SaveStateRegistry Registry { get; } = new();

    /// <summary>The master PIC (<c>i8259</c> #0).</summary>
    public I8259 Master { get; } = new(0x20);

    /// <summary>The slave PIC (<c>i8259</c> #1).</summary>
    public I8259 Slave { get; } = new(0xA0);

    /// <summary>The RTC (<c>mc146818rtc</c> #0).</summary>
    public Mc146818Rtc Rtc { get; } = new();

    /// <summary>The PIT (<c>i8254</c> #0).</summary>
    public I8254 Pit { get; } = new();
}
