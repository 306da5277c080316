using Qevm.Tests.Cli;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Validation;

/// <summary><c>check --target qemu-X.Y[:MACHINE]</c> on the command line: which machine type, and what a file without one gets.</summary>
public sealed class CheckDatabaseTargetTests
{
    private static string Fixture(string name) => Path.Combine(CorpusFiles.FixturesDir, name);

    [Fact]
    public void MachineType_FromTheFile_FromTheName_OrFromMachineOption()
    {
        var (code, output, err) = QevmCli.Run("check", Fixture("x86-pc/full.mig"), "--target", "qemu-7.2", "--json");
        Assert.Equal((0, ""), (code, err));
        var target = System.Text.Json.Nodes.JsonNode.Parse(output)!["target"]!;
        Assert.Equal(("qemu-7.2:pc-i440fx-7.2", "QEMU version database", "pc-i440fx-7.2", "7.2"),
            ((string)target["name"]!, (string)target["kind"]!, (string)target["machine"]!, (string)target["qemu_version"]!));

        (code, _, err) = QevmCli.Run("check", Fixture("x86-pc/full.mig"), "--target", "qemu-10.0", "--machine", "pc-q35-7.2");
        Assert.Equal(1, code);
        Assert.Equal("qevm: the target refuses: offset 0x8 (8): configuration: Machine type received is 'pc-i440fx-7.2' and local is 'pc-q35-7.2'",
            err.ReplaceLineEndings("\n").Split('\n')[0]);
    }

    [Fact]
    public void DeviceStateFile_NeedsAMachineType_AndThenLacksTheConfiguration()
    {
        var (code, _, err) = QevmCli.Run("check", Fixture("x86-pc/device.state"), "--target", "qemu-7.2");
        Assert.Equal(2, code);
        Assert.Equal("qevm: qemu-7.2: no machine type to check against (the file names none): give qemu-7.2:MACHINE\n", err.ReplaceLineEndings("\n"));

        (code, _, err) = QevmCli.Run("check", Fixture("x86-pc/device.state"), "--target", "qemu-7.2:pc");
        Assert.Equal(1, code);
        Assert.Equal("qevm: the target refuses: offset 0x8 (8): header: Configuration section missing\n", err.ReplaceLineEndings("\n"));

        (code, _, err) = QevmCli.Run("check", Fixture("x86-pc/full.mig"), "--target", "qemu-6.0");
        Assert.Equal(2, code);
        Assert.Equal("qevm: QEMU 6.0 is not in the database (it has 5.2, 7.2, 10.0, 11.1)\n", err.ReplaceLineEndings("\n"));
    }
}
