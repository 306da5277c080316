using Qevm.Engine;

namespace Qevm.Tests.Engine;

#pragma warning disable CA1051
public sealed class TimerState : IDeviceState<TimerState>
{
    public uint Count;
    public byte N;
    public ushort[] Regs = [];
    public byte[] Ram = new byte[16];
    public ushort Pending;
    public TimerState Clone() => new() { Count = Count, N = N, Regs = (ushort[])Regs.Clone(), Ram = (byte[])Ram.Clone(), Pending = Pending };
}
#pragma warning restore CA1051

/// <summary>The README's engine example, as written there, and the bytes it produces.</summary>
public sealed class ReadmeExampleTests : IDisposable
{
    private static readonly Vmsd<TimerState> Pending = VmState.Describe<TimerState>("mytimer/pending", version: 1, minimumVersion: 1)
        .Needed(static s => s.Pending != 0)
        .Field("pending", static (TimerState s) => ref s.Pending)
        .Build();

    private static readonly Vmsd<TimerState> Vmstate = VmState.Describe<TimerState>("mytimer", version: 2, minimumVersion: 1)
        .Field("count", static (TimerState s) => ref s.Count)
        .Field("n", static (TimerState s) => ref s.N, since: 2)
        .VarArray("regs", static s => ref s.Regs, static s => s.N, since: 2)
        .Buffer("ram", static s => ref s.Ram, 16)
        .Unused(4)
        .Subsection(Pending)
        .PostLoad(static (s, version) => { if (s.Count > 1000) throw new InvalidDataException("count out of range"); })
        .Build();

    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ReadmeExample_SavesAndLoads()
    {
        var registry = new SaveStateRegistry();
        var timer = new VmStateDevice<TimerState>(Vmstate, new TimerState { Count = 5, N = 1, Regs = [0xBEEF], Pending = 2 });
        var entry = registry.Register(timer);
        registry.Register(new Qevm.Engine.Devices.Mc146818Rtc(), aliasId: 0x70);
        Assert.Equal(("mytimer", 0u, 0u), (entry.Idstr, entry.InstanceId, entry.SectionId));

        var path = Path.Combine(_dir, "dev.state");
        using (var file = File.Create(path))
            registry.SaveDeviceState(file);
        var bytes = File.ReadAllBytes(path);
        byte[] mytimer =
        [
            0x04, 0, 0, 0, 0, 7, .. "mytimer"u8, 0, 0, 0, 0, 0, 0, 0, 2,
            /* count */ 0, 0, 0, 5, /* n */ 1, /* regs */ 0xBE, 0xEF, /* ram */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* unused */ 0, 0, 0, 0,
            0x05, 15, .. "mytimer/pending"u8, 0, 0, 0, 1, /* pending */ 0, 2,
            0x7E, 0, 0, 0, 0,
        ];
        Assert.Equal(mytimer, bytes.AsSpan(8, mytimer.Length).ToArray());

        timer.State.Count = 99;
        using (var file = File.OpenRead(path))
            registry.LoadDeviceState(file);
        Assert.Equal(5u, timer.State.Count);

        // The post-load hook refuses a count of 4096: the load fails and the state stays.
        bytes[8 + 21 + 2] = 0x10;
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream(bytes)));
        Assert.Equal(VmStateError.LoadRefused, e.Error);
        Assert.Equal(5u, timer.State.Count);
        Assert.Contains("count out of range", e.QemuMessage, StringComparison.Ordinal);
    }
}
