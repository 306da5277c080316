using Qevm.Engine.Devices;
using Qevm.Tests.Corpus;
using FuzzProgram = Qevm.Fuzz.Program;

namespace Qevm.Tests.Properties;

/// <summary>
/// Every input AFL++ found to break a contract (fuzz/crashes/TARGET, committed by fuzz/run.sh) and every seed
/// (fuzz/seeds/TARGET) now keeps the contract of every fuzz target: each is run through the targets' own code.
/// The seeds are also what their target takes: they read, parse, compose and load whole.
/// </summary>
public class FuzzRegressionTests
{
    public static IEnumerable<object[]> Inputs()
    {
        foreach (var dir in (string[])["seeds", "crashes"])
            foreach (var target in FuzzProgram.Targets.Keys)
            {
                var path = Path.Combine(CorpusFiles.RepoRoot, "fuzz", dir, target);
                if (!Directory.Exists(path)) continue;
                foreach (var f in Directory.GetFiles(path).Order(StringComparer.Ordinal)) yield return [$"{dir}/{target}/{Path.GetFileName(f)}"];
            }
    }

    private static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(CorpusFiles.RepoRoot, "fuzz", name));

    [Fact]
    public void EveryTargetHasSeeds()
    {
        var names = Inputs().Select(o => (string)o[0]).ToList();
        foreach (var target in FuzzProgram.Targets.Keys)
            Assert.Contains(names, n => n.StartsWith($"seeds/{target}/", StringComparison.Ordinal));
    }

    // Every input through every target: a crash of one surface (a trailer in a stream) is often an input of another.
    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_KeepsTheContractOfEveryTarget(string name)
    {
        var data = Bytes(name);
        foreach (var (target, run) in FuzzProgram.Targets)
        {
            var e = Record.Exception(() => run(data));
            Assert.True(e is null, $"{target}: {e}");
        }
    }

    // Read through a pipe too, and a refusal's offset is inside the input.
    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_ReadsOrFailsAtAnOffsetInside(string name)
    {
        var data = Bytes(name);
        foreach (bool pipe in (bool[])[false, true])
        {
            try
            {
                Stream s = new MemoryStream(data, writable: false);
                if (pipe) s = new NonSeekableStream(s);
                StateDump.Read(s);
            }
            catch (VmStateFormatException e)
            {
                Assert.InRange(e.Offset, 0, data.Length);
            }
        }
    }

    [Theory]
    [InlineData("tiny.libvirt")]
    [InlineData("tiny.libvirt-gzip")]
    [InlineData("tiny.mig.zst")]
    [InlineData("tiny.qcow2")]
    public void ContainerSeed_ReadsWhole(string name)
    {
        var data = Bytes("seeds/containers/" + name);
        var options = new VmStateInputOptions { Snapshot = name.EndsWith(".qcow2", StringComparison.Ordinal) ? "1" : null };
        using var input = VmStateInput.Open(new MemoryStream(data, writable: false), options);
        Assert.Equal(0x10b0, StreamInfo.Read(input).EofOffset);
    }

    [Fact]
    public void SchemaSeeds_ParseAndDecodeTheSampleDevices()
    {
        var device = CorpusFiles.Bytes("fixtures/x86-pc/device.state");
        Assert.Equal(4096, Trailer.Parse(Bytes("seeds/schema/tiny.trailer.json")).PageSize);
        Assert.Equal(1, SchemaCatalogue.Parse(Bytes("seeds/schema/tiny.catalogue.json")).Count);
        var schema = DumpVmStateSchema.Parse(Bytes("seeds/schema/x86-pc.dump-vmstate.json"));
        var dump = StateDump.Read(new MemoryStream(device, writable: false), [schema]);
        Assert.Equal(["i8259#0", "i8259#1", "mc146818rtc#0"], dump.Sections.Where(s => s.Root is not null).Select(s => s.Path));
    }

    [Theory]
    [InlineData("tiny.mig.json")]
    [InlineData("tiny.libvirt.json")]
    [InlineData("x86-pc.sample.json")]
    public void ComposeSeed_ComposesItsStream(string name)
    {
        var output = new MemoryStream();
        StateComposer.Compose(Bytes("seeds/compose/" + name), output);
        var original = name == "x86-pc.sample.json" ? Bytes("seeds/loader/x86-pc.sample.state") : Bytes("seeds/streams/tiny.mig");
        Assert.Equal(original, output.ToArray());
    }

    [Fact]
    public void LoaderSeed_LoadsTheSampleDevices()
    {
        var machine = new SampleMachine();
        var report = machine.Registry.LoadDeviceState(new MemoryStream(Bytes("seeds/loader/x86-pc.sample.state")));
        Assert.Equal(4, report.Loaded.Count);
        Assert.Equal(0x70, machine.Slave.State.IrqBase);
    }
}
