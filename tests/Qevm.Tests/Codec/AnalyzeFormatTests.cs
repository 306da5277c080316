using System.Diagnostics;
using System.Text.Json.Nodes;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Codec;

/// <summary>
/// <c>qevm dump --format analyze</c> prints what QEMU 7.2's <c>analyze-migration.py -d state</c> prints, on every
/// stream the script can read (the fixtures and, with the shared corpus, its 7 readable cases). The script comes
/// from Debian's QEMU source package: scripts/test.sh fetches it and sets QEVM_ANALYZE_MIGRATION.
/// </summary>
public class AnalyzeFormatTests
{
    public static IEnumerable<object[]> Streams()
    {
        string[] readable = ["x86-pc-minimal", "x86-pc-smp2", "x86-q35-devices", "x86-pc-multi-instance", "x86-live-running", "x86-microvm", "arm-versatilepb-1k"];
        foreach (var (name, _) in CorpusFiles.Enumerate())
        {
            var parts = name.Split('/');
            if (parts[2] != "full.mig") continue;
            if (parts[0] == "fixtures" || (parts[0] == "corpus" && readable.Contains(parts[1]))) yield return [name];
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task ExtractedRam_EqualsTheScriptsExtract(string name)
    {
        var file = CorpusFiles.PathOf(name);
        var work = Directory.CreateTempSubdirectory("qevm-analyze-x-").FullName;
        try
        {
            // -x writes its files into the current folder.
            var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.Combine(work, "script") };
            Directory.CreateDirectory(psi.WorkingDirectory);
            foreach (var a in (string[])[Script(), "-f", file, "-x"]) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, $"analyze-migration.py -x failed on {name}: {await stderr}");

            var qevm = Path.Combine(work, "qevm");
            Extractor.Extract(File.OpenRead(file), qevm, new ExtractOptions { Sections = false });
            var info = StreamInfo.Read(File.OpenRead(file));
            foreach (var block in info.Ram!.Blocks)
            {
                var theirs = File.ReadAllBytes(Path.Combine(work, "script", block.Name.TrimStart('/')));
                var ours = File.ReadAllBytes(Path.Combine(qevm, "ram", Extractor.SafeName(block.Name)));
                Assert.True(theirs.AsSpan().SequenceEqual(ours), $"{name}: block {block.Name} differs");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Script()
    {
        var path = Environment.GetEnvironmentVariable("QEVM_ANALYZE_MIGRATION");
        Assert.False(string.IsNullOrEmpty(path), "QEVM_ANALYZE_MIGRATION is not set: run the tests with scripts/test.sh, which fetches analyze-migration.py");
        Assert.True(File.Exists(path), $"analyze-migration.py not found at {path}");
        return path;
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task DumpFormatAnalyze_EqualsTheScriptsOutput(string name)
    {
        var file = CorpusFiles.PathOf(name);
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Script(), "-f", file, "-d", "state"]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string expected = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"analyze-migration.py failed on {name}: {await stderr}");

        var o = new StringWriter();
        Assert.Equal(0, Qevm.Cli.Program.Run(["dump", "--format", "analyze", file], o, TextWriter.Null));
        string actual = o.ToString();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"{name}: the documents differ");
        Assert.Equal(expected, actual);
    }
}
