namespace Qevm.Streams;

/// <summary>Command numbers of <c>QEMU_VM_COMMAND</c> records (savevm.c: enum qemu_vm_cmd, §10.2).</summary>
public enum MigCommand : ushort
{
    /// <summary><c>MIG_CMD_INVALID</c>: rejected by QEMU.</summary>
    Invalid = 0,
    /// <summary>Destination opens the return path.</summary>
    OpenReturnPath = 1,
    /// <summary>be32 value answered with PONG.</summary>
    Ping = 2,
    /// <summary>0 or 16 bytes (page-size summary, target page size).</summary>
    PostcopyAdvise = 3,
    /// <summary>Postcopy listen.</summary>
    PostcopyListen = 4,
    /// <summary>Postcopy run.</summary>
    PostcopyRun = 5,
    /// <summary>Discard ranges of a RAM block.</summary>
    PostcopyRamDiscard = 6,
    /// <summary>be32 N, followed by N bytes of nested records.</summary>
    Packaged = 7,
    /// <summary>COLO enable.</summary>
    EnableColo = 8,
    /// <summary>Postcopy recovery resume.</summary>
    PostcopyResume = 9,
    /// <summary>Postcopy recovery bitmap request.</summary>
    RecvBitmap = 10,
    /// <summary>(10.0) sent before the final END sections.</summary>
    SwitchoverStart = 11,
}

/// <summary>Names and fixed payload lengths of commands (savevm.c: mig_cmd_args).</summary>
public static class MigCommands
{
    /// <summary>Highest command number known (10.0); 7.2 knows up to <see cref="MigCommand.RecvBitmap"/>.</summary>
    public const MigCommand Max = MigCommand.SwitchoverStart;

    private static readonly string[] Names =
    [
        "INVALID", "OPEN_RETURN_PATH", "PING", "POSTCOPY_ADVISE", "POSTCOPY_LISTEN", "POSTCOPY_RUN",
        "POSTCOPY_RAM_DISCARD", "PACKAGED", "ENABLE_COLO", "POSTCOPY_RESUME", "RECV_BITMAP", "SWITCHOVER_START",
    ];

    // -1: variable length (mig_cmd_args' -1). ENABLE_COLO has no entry, hence 0.
    private static readonly int[] FixedLengths = [-1, 0, 4, -1, 0, 0, -1, 4, 0, 0, -1, 0];

    /// <summary>QEMU's name without the <c>MIG_CMD_</c> prefix, or <c>UNKNOWN_0x..</c>.</summary>
    public static string Name(ushort command) =>
        command < Names.Length ? Names[command] : "UNKNOWN_0x" + command.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The fixed payload length, or -1 when it varies (or the command is unknown).</summary>
    public static int FixedLength(ushort command) => command < FixedLengths.Length ? FixedLengths[command] : -1;

    /// <summary>True for the numbers QEMU 10.0 accepts (1 ... 11).</summary>
    public static bool IsKnown(ushort command) => command is >= 1 and <= (ushort)Max;
}
