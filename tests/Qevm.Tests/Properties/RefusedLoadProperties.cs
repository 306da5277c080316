using CsCheck;
using Qevm.Engine;
using Qevm.Engine.Devices;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Properties;

/// <summary>
/// A refused load changes nothing: the sample devices, holding the x86-pc fixture's state, are given randomly
/// mutated device-state files (byte flips, cuts, inserted and deleted bytes); whenever the loader refuses one
/// (<see cref="VmStateFormatException"/>, the only exception it may throw), a save gives the bytes of the save
/// before the load.
/// </summary>
public sealed class RefusedLoadProperties
{
    [Theory]
    [InlineData("fixtures/x86-pc/device.state")]
    [InlineData("fixtures/x86-pc-smp2/device.state")]
    public void AfterEveryRefusedLoad_ASaveEqualsTheSaveBefore(string name)
    {
        var original = CorpusFiles.Bytes(name);
        var options = new LoadOptions { SkipUnknownSections = true };
        int refused = 0, loaded = 0;
        Gen.Select(MutationProperties.Edit.Array[1, 4], Gen.Bool).Sample((edits, skip) =>
        {
            var machine = new SampleMachine();
            machine.Registry.LoadDeviceState(new MemoryStream(original, writable: false), options);
            var before = Save(machine);
            var mutated = MutationProperties.Apply(original, edits);
            try
            {
                machine.Registry.LoadDeviceState(new MemoryStream(mutated, writable: false), skip ? options : new LoadOptions());
                loaded++;
            }
            catch (VmStateFormatException)
            {
                refused++;
                Assert.Equal(before, Save(machine));
            }
        }, iter: 500, threads: 1, seed: "0000000000001");
        // Without skipping, the first section of another device is refused: both outcomes are exercised.
        Assert.True(refused > 250 && loaded > 50, $"{refused} refused, {loaded} loaded of 500");
    }

    private static byte[] Save(SampleMachine machine)
    {
        var ms = new MemoryStream();
        machine.Registry.SaveDeviceState(ms);
        return ms.ToArray();
    }
}
