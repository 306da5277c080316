namespace Qevm.Summary;

/// <summary>What a stream is, as far as its records tell (Appendix A).</summary>
public enum StreamKind
{
    /// <summary>A device-state file (QMP <c>xen-save-devices-state</c>): FULL sections only, no configuration, no trailer.</summary>
    DeviceState,
    /// <summary>A migration or savevm stream: a configuration, iterative sections or a trailer.</summary>
    Migration,
}

/// <summary>Names of <see cref="StreamKind"/> values as Qevm prints them.</summary>
public static class StreamKinds
{
    /// <summary><c>device-state</c> or <c>migration</c>.</summary>
    public static string Name(StreamKind kind) => kind == StreamKind.DeviceState ? "device-state" : "migration";
}
