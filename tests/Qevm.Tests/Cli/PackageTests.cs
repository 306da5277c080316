using System.IO.Compression;
using Qevm.Tests.Corpus;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Cli;

/// <summary>scripts/pack.sh makes the packages; the tool package installs with <c>dotnet tool install</c> and runs.</summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-pack-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Packages_AreMade_AndTheToolInstallsAndRuns()
    {
        string artifacts = Path.Combine(_dir, "artifacts");
        // A configuration of its own, so that packing does not rebuild the Release output the tests run from;
        // the NativeAOT tarball is left out here (the test command publishes NativeAOT once anyway).
        var env = new Dictionary<string, string> { ["QEVM_PACK_CONFIGURATION"] = "PackTest", ["QEVM_PACK_NATIVE"] = "0" };
        var (code, o, e) = ProgramRunner.Run("bash", [Path.Combine(CorpusFiles.RepoRoot, "scripts", "pack.sh"), artifacts], env);
        Assert.True(code == 0, e + o);
        string library = Assert.Single(Directory.GetFiles(artifacts, "Qevm.*.nupkg"), f => !Path.GetFileName(f).StartsWith("Qevm.Cli.", StringComparison.Ordinal));
        Assert.Single(Directory.GetFiles(artifacts, "Qevm.*.snupkg"), f => !Path.GetFileName(f).StartsWith("Qevm.Cli.", StringComparison.Ordinal));
        using (var zip = ZipFile.OpenRead(library))
        {
            var entries = zip.Entries.Select(x => x.FullName).ToList();
            Assert.Contains("README.md", entries);
            Assert.Contains("lib/net10.0/Qevm.dll", entries);
            Assert.Contains("lib/net10.0/Qevm.xml", entries);
        }
        string version = Path.GetFileNameWithoutExtension(library)["Qevm.".Length..];

        string tools = Path.Combine(_dir, "tools");
        var install = ProgramRunner.Run("dotnet", "tool", "install", "Qevm.Cli", "--tool-path", tools, "--add-source", artifacts, "--version", version);
        Assert.True(install.Code == 0, install.Err + install.Out);
        string qevm = Path.Combine(tools, "qevm");
        var (vcode, vout, _) = ProgramRunner.Run(qevm, "--version");
        Assert.Equal(0, vcode);
        Assert.StartsWith(version + "+", vout.Trim(), StringComparison.Ordinal);
        var (icode, iout, ierr) = ProgramRunner.Run(qevm, "info", Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "device.state"));
        Assert.True(icode == 0, ierr);
        Assert.StartsWith("device-state, version 3, footers yes", iout, StringComparison.Ordinal);
    }
}
