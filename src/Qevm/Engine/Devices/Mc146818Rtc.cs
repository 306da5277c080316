namespace Qevm.Engine.Devices;

/// <summary>
/// The MC146818 RTC (<c>mc146818rtc</c>, version 3, minimum 1): QEMU 7.2's <c>vmstate_rtc</c> field by field, so
/// that its section bytes equal QEMU's.
/// </summary>
public sealed class Mc146818Rtc : VmStateDevice<Mc146818RtcState>
{
    /// <summary><c>mc146818rtc/irq_reinject_on_ack_count</c>, written when the count is not zero.</summary>
    public static readonly Vmsd<Mc146818RtcState> IrqReinjectOnAckCount =
        VmState.Describe<Mc146818RtcState>("mc146818rtc/irq_reinject_on_ack_count", version: 1, minimumVersion: 1)
            .Needed(static s => s.IrqReinjectOnAckCount != 0)
            .Field("irq_reinject_on_ack_count", static (Mc146818RtcState s) => ref s.IrqReinjectOnAckCount)
            .Build();

    /// <summary>QEMU's <c>vmstate_rtc</c>.</summary>
    public static readonly Vmsd<Mc146818RtcState> Vmstate =
        VmState.Describe<Mc146818RtcState>("mc146818rtc", version: 3, minimumVersion: 1)
            .Buffer("cmos_data", static s => ref s.CmosData, 128)
            .Field("cmos_index", static (Mc146818RtcState s) => ref s.CmosIndex)
            .Unused(7 * 4)
            .Timer("periodic_timer", static s => ref s.PeriodicTimer)
            .Field("next_periodic_time", static (Mc146818RtcState s) => ref s.NextPeriodicTime)
            .Unused(3 * 8)
            .Field("irq_coalesced", static (Mc146818RtcState s) => ref s.IrqCoalesced, since: 2)
            .Field("period", static (Mc146818RtcState s) => ref s.Period, since: 2)
            .Field("base_rtc", static (Mc146818RtcState s) => ref s.BaseRtc, since: 3)
            .Field("last_update", static (Mc146818RtcState s) => ref s.LastUpdate, since: 3)
            .Field("offset", static (Mc146818RtcState s) => ref s.Offset, since: 3)
            .Timer("update_timer", static s => ref s.UpdateTimer, since: 3)
            .Field("next_alarm_time", static (Mc146818RtcState s) => ref s.NextAlarmTime, since: 3)
            .Subsection(IrqReinjectOnAckCount)
            .Build();

    /// <summary>An RTC in its reset state.</summary>
    public Mc146818Rtc() : base(Vmstate, new Mc146818RtcState())
    {
    }

    /// <summary>The I/O base QEMU registers as the legacy instance id.</summary>
    public const uint LegacyInstanceId = 0x70;
}
