namespace Qevm.Engine.Devices;

/// <summary>The migrated state of the MC146818 real-time clock (QEMU's <c>RTCState</c>, <c>hw/rtc/mc146818rtc.c</c>).</summary>
#pragma warning disable CA1051 // The description binds fields by reference, as QEMU's table binds struct members.
public sealed class Mc146818RtcState : IDeviceState<Mc146818RtcState>
{
    /// <summary>The 128 CMOS bytes (time registers, status registers A–D, NVRAM).</summary>
    public byte[] CmosData = Reset();

    /// <summary>The selected CMOS register (port 0x70).</summary>
    public byte CmosIndex;

    /// <summary>Periodic interrupt timer expiry in ns; -1 when not armed.</summary>
    public long PeriodicTimer = -1;

    /// <summary>Next periodic interrupt time.</summary>
    public long NextPeriodicTime;

    /// <summary>Coalesced interrupts not yet delivered (version 2).</summary>
    public uint IrqCoalesced;

    /// <summary>Periodic interrupt period in ticks (version 2).</summary>
    public uint Period;

    /// <summary>Guest time base in seconds (version 3).</summary>
    public ulong BaseRtc;

    /// <summary>Host time of the last update (version 3).</summary>
    public ulong LastUpdate;

    /// <summary>Offset within the current second (version 3).</summary>
    public long Offset;

    /// <summary>Update-ended timer expiry in ns; -1 when not armed (version 3).</summary>
    public long UpdateTimer = -1;

    /// <summary>Next alarm time (version 3).</summary>
    public ulong NextAlarmTime;

    /// <summary>Interrupts to re-inject on acknowledge (subsection <c>mc146818rtc/irq_reinject_on_ack_count</c>).</summary>
    public ushort IrqReinjectOnAckCount;

    /// <inheritdoc/>
    public Mc146818RtcState Clone()
    {
        var copy = (Mc146818RtcState)MemberwiseClone();
        copy.CmosData = (byte[])CmosData.Clone();
        return copy;
    }

    // Register A: 32.768 kHz time base, 1024 Hz rate; B: 24-hour mode; D: valid RAM and time.
    private static byte[] Reset()
    {
        var cmos = new byte[128];
        cmos[0x0A] = 0x26;
        cmos[0x0B] = 0x02;
        cmos[0x0D] = 0x80;
        return cmos;
    }
}
#pragma warning restore CA1051
