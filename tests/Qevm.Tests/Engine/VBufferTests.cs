using Qevm.Engine;

namespace Qevm.Tests.Engine;

#pragma warning disable CA1051
public sealed class VBufferState : IDeviceState<VBufferState>
{
    public uint Len;
    public byte[] Data = [];

    public VBufferState Clone() => new() { Len = Len, Data = (byte[])Data.Clone() };
}
#pragma warning restore CA1051

/// <summary><c>VMSTATE_VBUFFER</c>: a buffer whose size a field loaded before it gives.</summary>
public sealed class VBufferTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-vbuffer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Vmsd<VBufferState> Vmsd = VmState.Describe<VBufferState>("vbuf", 1)
        .Field("len", static (VBufferState s) => ref s.Len)
        .VBuffer("data", static s => ref s.Data, static s => (int)s.Len)
        .Build();

    private static (SaveStateRegistry, VmStateDevice<VBufferState>) Machine(uint len, byte[] data)
    {
        var registry = new SaveStateRegistry();
        var device = new VmStateDevice<VBufferState>(Vmsd, new VBufferState { Len = len, Data = data });
        registry.Register(device);
        return (registry, device);
    }

    private static byte[] File(uint len, byte[] data) =>
        [0x51, 0x45, 0x56, 0x4D, 0, 0, 0, 3, 0x04, 0, 0, 0, 0, 4, .. "vbuf"u8, 0, 0, 0, 0, 0, 0, 0, 1,
         (byte)(len >> 24), (byte)(len >> 16), (byte)(len >> 8), (byte)len, .. data, 0x7E, 0, 0, 0, 0, 0x00];

    [Fact]
    public void Save_WritesTheLengthThenThatManyBytes_AndTheTrailerDescribesThem()
    {
        var (registry, _) = Machine(3, [1, 2, 3]);
        var ms = new MemoryStream();
        registry.SaveDeviceState(ms);
        Assert.Equal(File(3, [1, 2, 3]), ms.ToArray());

        var path = Path.Combine(_dir, "vbuf.state");
        AtomicFile.Write(path, s => registry.SaveDeviceState(s, new SaveOptions { Trailer = true }));
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.True(global::Qevm.Cli.Program.Run(["dump", path], o, e) == 0, e.ToString());
        Assert.Contains("vbuf#0/len = 3", o.ToString(), StringComparison.Ordinal);
        Assert.Contains("vbuf#0/data = 010203", o.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TakesTheSizeFromTheLoadedLength_AndRoundTrips()
    {
        var (registry, device) = Machine(1, [9]);
        var data = File(5, [5, 4, 3, 2, 1]);
        registry.LoadDeviceState(new MemoryStream(data));
        Assert.Equal(5u, device.State.Len);
        Assert.Equal([5, 4, 3, 2, 1], device.State.Data);
        var ms = new MemoryStream();
        registry.SaveDeviceState(ms);
        Assert.Equal(data, ms.ToArray());
    }

    [Fact]
    public void Load_ShortBuffer_IsRefused_AndTheDeviceKeepsItsState()
    {
        var (registry, device) = Machine(1, [9]);
        byte[] cut = [.. File(5, [5, 4, 3, 2, 1])[..^10]];
        Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream(cut)));
        Assert.Equal(1u, device.State.Len);
        Assert.Equal([9], device.State.Data);
    }
}
