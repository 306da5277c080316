using Qevm.Engine;

#pragma warning disable CA1051, CA1050, CS8321
public sealed class TimerState : IDeviceState<TimerState>
{
    public uint Count;              // fields are bound by reference: static (S s) => ref s.Field
    public byte N;
    public ushort[] Regs = [];      // a variable array: N elements
    public byte[] Ram = new byte[16];
    public ushort Pending;          // only in a subsection, written when not zero
    public TimerState Clone() => new() { Count = Count, N = N, Regs = (ushort[])Regs.Clone(), Ram = (byte[])Ram.Clone(), Pending = Pending };
}
#pragma warning restore CA1051, CA1050, CS8321

namespace Qevm.Tests.Readme
{
    /// <summary>README's engine example, as written there (ReadmeSnippetTests checks), run and its bytes checked.</summary>
    public static class EngineExample
    {
        static readonly Vmsd<TimerState> Pending = VmState.Describe<TimerState>("mytimer/pending", version: 1, minimumVersion: 1)
            .Needed(static s => s.Pending != 0)
            .Field("pending", static (TimerState s) => ref s.Pending)
            .Build();

        static readonly Vmsd<TimerState> Vmstate = VmState.Describe<TimerState>("mytimer", version: 2, minimumVersion: 1)
            .Field("count", static (TimerState s) => ref s.Count)                   // uint → uint32 (be32)
            .Field("n", static (TimerState s) => ref s.N, since: 2)                 // present from version 2
            .VarArray("regs", static s => ref s.Regs, countField: "n", since: 2)   // n × be16, n read before it
            .Buffer("ram", static s => ref s.Ram, 16)
            .Unused(4)
            .Subsection(Pending)
            .PostLoad(static (s, version) => { if (s.Count > 1000) throw new InvalidDataException("count out of range"); })
            .Build();

        // The README's statements; Console is the test's writer. Returns the timer device.
        public static VmStateDevice<TimerState> Run(TextWriter Console)
        {
            var registry = new SaveStateRegistry();
            var timer = new VmStateDevice<TimerState>(Vmstate, new TimerState { Count = 5 });
            registry.Register(timer);                               // idstr "mytimer", instance 0, section id 0
            registry.Register(new Qevm.Engine.Devices.Mc146818Rtc(), aliasId: 0x70);

            using (var file = File.Create("dev.state"))
                registry.SaveDeviceState(file);                     // QEVM v3, FULL sections + footers, EOF
            using (var file = File.OpenRead("dev.state"))
                registry.LoadDeviceState(file);                     // all or nothing: on error no device changes
            Console.WriteLine(timer.State.Count);
            return timer;
        }

        public static Vmsd<TimerState> Description => Vmstate;
    }

    /// <summary>The README's engine example runs, and the bytes its description writes.</summary>
    public sealed class EngineExampleTests
    {
        [Fact]
        public void ReadmeExample_Runs()
        {
            var log = new StringWriter();
            try
            {
                var timer = EngineExample.Run(log);
                Assert.Equal("5", log.ToString().Trim());
                Assert.Equal(5u, timer.State.Count);
                Assert.Equal([0x51, 0x45, 0x56, 0x4D, 0, 0, 0, 3, 0x04, 0, 0, 0, 0, 7, .. "mytimer"u8], File.ReadAllBytes("dev.state")[..21]);
            }
            finally
            {
                File.Delete("dev.state");
            }
        }

        [Fact]
        public void ReadmeDescription_SavesAndLoads()
        {
            var registry = new SaveStateRegistry();
            var timer = new VmStateDevice<TimerState>(EngineExample.Description, new TimerState { Count = 5, N = 1, Regs = [0xBEEF], Pending = 2 });
            var entry = registry.Register(timer);
            registry.Register(new Qevm.Engine.Devices.Mc146818Rtc(), aliasId: 0x70);
            Assert.Equal(("mytimer", 0u, 0u), (entry.Idstr, entry.InstanceId, entry.SectionId));

            var ms = new MemoryStream();
            registry.SaveDeviceState(ms);
            var bytes = ms.ToArray();
            byte[] mytimer =
            [
                0x04, 0, 0, 0, 0, 7, .. "mytimer"u8, 0, 0, 0, 0, 0, 0, 0, 2,
                /* count */ 0, 0, 0, 5, /* n */ 1, /* regs */ 0xBE, 0xEF, /* ram */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* unused */ 0, 0, 0, 0,
                0x05, 15, .. "mytimer/pending"u8, 0, 0, 0, 1, /* pending */ 0, 2,
                0x7E, 0, 0, 0, 0,
            ];
            Assert.Equal(mytimer, bytes.AsSpan(8, mytimer.Length).ToArray());

            timer.State.Count = 99;
            registry.LoadDeviceState(new MemoryStream(bytes));
            Assert.Equal(5u, timer.State.Count);
            Assert.Equal([0xBEEF], timer.State.Regs);

            // The post-load hook refuses a count of 4096: the load fails and the state stays.
            bytes[8 + 21 + 2] = 0x10;
            var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream(bytes)));
            Assert.Equal(VmStateError.LoadRefused, e.Error);
            Assert.Equal(5u, timer.State.Count);
            Assert.Contains("count out of range", e.QemuMessage, StringComparison.Ordinal);
        }
    }
}
