using Qevm.Tests.Cli;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Schema;

/// <summary><c>schema diff</c> with database entries (<c>qemu-X.Y[:MACHINE]</c>) on either side.</summary>
public sealed class SchemaDiffDatabaseTests
{
    private static readonly string Stream72 = Path.Combine(CorpusFiles.FixturesDir, "x86-pc/full.mig");

    [Fact]
    public void SameMachineType_NewerQemu_LimitedToAStream_IsCompatible()
    {
        // full.mig is a QEMU 7.2 pc-i440fx-7.2 guest; 10.0 and 11.1 still have that machine type and load such streams.
        foreach (var target in new[] { "qemu-10.0:pc-i440fx-7.2", "qemu-11.1:pc-i440fx-7.2" })
        {
            var (code, output, err) = QevmCli.Run("schema", "diff", "qemu-7.2:pc-i440fx-7.2", target, "--stream", Stream72);
            Assert.True(code == 0, output + err);
            Assert.Contains($"NEW {target} (database entry, pc-i440fx-7.2)", output, StringComparison.Ordinal);
            Assert.Matches(@"\d+ sections compared: 0 refuse, 0 read wrongly, \d+ accept: compatible", output);
        }
    }

    [Fact]
    public void AStreamAsOld_IsComparedAsItsSections_AsWithStream()
    {
        // The stream's own QEMU and machine type: its sections are what NEW receives. Compared by description name
        // instead, the sections QEMU registers outside a device type (timer, cpu, apic, ...) were 9 false refusals.
        var (code, output, err) = QevmCli.Run("schema", "diff", Stream72, "qemu-7.2:pc");
        Assert.True(code == 0, output + err);
        Assert.EndsWith("21 sections compared: 0 refuse, 0 read wrongly, 16 accept: compatible", output.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("refuse       timer", output, StringComparison.Ordinal);
        // The same findings as with --stream (its header line says "limited to stream ...").
        var withStream = QevmCli.Run("schema", "diff", Stream72, "qemu-7.2:pc", "--stream", Stream72).Out;
        Assert.Equal(withStream[withStream.IndexOf('\n', StringComparison.Ordinal)..], output[output.IndexOf('\n', StringComparison.Ordinal)..]);
    }

    [Fact]
    public void NewerToOlder_WholeMachineType_HasRefusals_AndAnUnknownVersionIsAnError()
    {
        var (code, output, _) = QevmCli.Run("schema", "diff", "qemu-11.1:pc-i440fx-5.2", "qemu-5.2", "--machine", "pc-i440fx-5.2");
        Assert.Equal(1, code);
        Assert.Contains("refuse ", output, StringComparison.Ordinal);
        Assert.Matches(@"sections compared: [1-9]\d* refuse, \d+ read wrongly, \d+ accept: not compatible", output);

        (code, _, var err) = QevmCli.Run("schema", "diff", "qemu-7.2", "qemu-9.9", "--machine", "pc");
        Assert.Equal(2, code);
        Assert.Equal("qevm: QEMU 9.9 is not in the database (it has 5.2, 7.2, 10.0, 11.1)", err.Trim());

        // A target name is read as check --target reads it: qemu-10 names a version (not a file), qemu-7.2: takes --machine.
        (code, _, err) = QevmCli.Run("schema", "diff", "qemu-10", "qemu-10.0:pc");
        Assert.Equal(2, code);
        Assert.Equal("qevm: QEMU 10 is not in the database (it has 5.2, 7.2, 10.0, 11.1)", err.Trim());
        (code, var same, _) = QevmCli.Run("schema", "diff", "qemu-7.2:", "qemu-7.2:", "--machine", "pc");
        Assert.Equal(0, code);
        Assert.Contains("OLD qemu-7.2:pc-i440fx-7.2 (database entry, pc-i440fx-7.2) -> NEW qemu-7.2:pc-i440fx-7.2", same, StringComparison.Ordinal);
    }
}
