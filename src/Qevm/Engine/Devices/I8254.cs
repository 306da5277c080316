namespace Qevm.Engine.Devices;

/// <summary>
/// The 8254 PIT (<c>i8254</c>, version 3, minimum 2): QEMU 7.2's <c>vmstate_pit_common</c> with its three
/// <c>pit channel</c> structs.
/// </summary>
public sealed class I8254 : VmStateDevice<I8254State>
{
    /// <summary>QEMU's <c>vmstate_pit_channel</c>.</summary>
    public static readonly Vmsd<I8254Channel> PitChannel =
        VmState.Describe<I8254Channel>("pit channel", version: 2, minimumVersion: 2)
            .Field("count", static (I8254Channel c) => ref c.Count)
            .Field("latched_count", static (I8254Channel c) => ref c.LatchedCount)
            .Field("count_latched", static (I8254Channel c) => ref c.CountLatched)
            .Field("status_latched", static (I8254Channel c) => ref c.StatusLatched)
            .Field("status", static (I8254Channel c) => ref c.Status)
            .Field("read_state", static (I8254Channel c) => ref c.ReadState)
            .Field("write_state", static (I8254Channel c) => ref c.WriteState)
            .Field("write_latch", static (I8254Channel c) => ref c.WriteLatch)
            .Field("rw_mode", static (I8254Channel c) => ref c.RwMode)
            .Field("mode", static (I8254Channel c) => ref c.Mode)
            .Field("bcd", static (I8254Channel c) => ref c.Bcd)
            .Field("gate", static (I8254Channel c) => ref c.Gate)
            .Field("count_load_time", static (I8254Channel c) => ref c.CountLoadTime)
            .Field("next_transition_time", static (I8254Channel c) => ref c.NextTransitionTime)
            .Build();

    /// <summary>QEMU's <c>vmstate_pit_common</c>.</summary>
    public static readonly Vmsd<I8254State> Vmstate =
        VmState.Describe<I8254State>("i8254", version: 3, minimumVersion: 2)
            .Field("channels[0].irq_disabled", static (I8254State s) => ref s.Channels[0].IrqDisabled, since: 3)
            .StructArray("channels", static s => s.Channels, 3, PitChannel, since: 2)
            .Field("channels[0].next_transition_time", static (I8254State s) => ref s.Channels[0].NextTransitionTime)
            .Build();

    /// <summary>A PIT in its reset state.</summary>
    public I8254() : base(Vmstate, new I8254State())
    {
    }

    /// <summary>The I/O base QEMU registers as the legacy instance id.</summary>
    public const uint LegacyInstanceId = 0x40;
}
