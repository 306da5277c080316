namespace Qevm.Engine.Devices;

/// <summary>The migrated state of the 8254 PIT (QEMU's <c>PITCommonState</c>).</summary>
#pragma warning disable CA1051, CA1819 // The description binds fields by reference, as QEMU's table binds struct members.
public sealed class I8254State : IDeviceState<I8254State>
{
    /// <summary>The three counters.</summary>
    public I8254Channel[] Channels = [new() { Gate = 1 }, new() { Gate = 1 }, new()];

    /// <inheritdoc/>
    public I8254State Clone()
    {
        var copy = (I8254State)MemberwiseClone();
        copy.Channels = [.. Channels.Select(c => c.Clone())];
        return copy;
    }
}

/// <summary>One PIT counter (QEMU's <c>PITChannelState</c>, vmsd <c>pit channel</c>).</summary>
public sealed class I8254Channel
{
    /// <summary>Interrupt output disabled (migrated for channel 0 only, section version 3).</summary>
    public uint IrqDisabled;
    /// <summary>Initial count (0 = 0x10000).</summary>
    public int Count;
    /// <summary>Latched count.</summary>
    public ushort LatchedCount;
    /// <summary>Count latch state.</summary>
    public byte CountLatched;
    /// <summary>Status latched.</summary>
    public byte StatusLatched;
    /// <summary>Status byte.</summary>
    public byte Status;
    /// <summary>Read state.</summary>
    public byte ReadState;
    /// <summary>Write state.</summary>
    public byte WriteState;
    /// <summary>Write latch.</summary>
    public byte WriteLatch;
    /// <summary>Read/write mode.</summary>
    public byte RwMode;
    /// <summary>Counter mode (0..5).</summary>
    public byte Mode;
    /// <summary>BCD counting.</summary>
    public byte Bcd;
    /// <summary>Gate input.</summary>
    public byte Gate;
    /// <summary>Time the count was loaded.</summary>
    public long CountLoadTime;
    /// <summary>Time of the next output transition.</summary>
    public long NextTransitionTime;

    /// <summary>A copy.</summary>
    public I8254Channel Clone() => (I8254Channel)MemberwiseClone();
}
#pragma warning restore CA1051, CA1819
