using Qevm.Tests.Corpus;

namespace Qevm.Tests.Interop;

/// <summary>
/// <c>qevm extract</c> gives back the RAM a real QEMU had: a guest whose RAM is a file of random bytes
/// (<c>memory-backend-file</c>, <c>share=off</c>, <c>-S</c>: the block equals the file, ISSUE-NOTES issue 6) is
/// migrated to a file, and the extracted block equals the backing file, from a file and from a pipe.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuExtractTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-extract-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ExtractedRam_EqualsTheGuestsMemory()
    {
        var image = Path.Combine(_dir, "ram.img");
        var ram = new byte[64 << 20];
        new Random(42).NextBytes(ram);
        // Some zero pages and some repeated ones, so that ZERO records and holes are exercised too.
        Array.Clear(ram, 4096 * 10, 4096 * 100);
        File.WriteAllBytes(image, ram);
        var mig = Path.Combine(_dir, "guest.mig");
        using (var q = QemuProcess.Start(["-machine", "pc,memory-backend=mem", "-object", $"memory-backend-file,id=mem,size=64M,mem-path={image},share=off", "-S"]))
        {
            q.Execute("migrate-set-parameters", new System.Text.Json.Nodes.JsonObject { ["max-bandwidth"] = 100L << 30 });
            q.MigrateToFile(mig, TimeSpan.FromSeconds(120));
        }

        var outDir = Path.Combine(_dir, "out");
        var err = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(["extract", mig, "-o", outDir], TextWriter.Null, err) == 0, err.ToString());
        Assert.Equal(ram, File.ReadAllBytes(Path.Combine(outDir, "ram", "mem")));
        Assert.True(File.Exists(Path.Combine(outDir, "desc.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "state.json")));
        var dump = StateDump.Read(File.OpenRead(mig));
        foreach (var s in dump.Sections)
            Assert.Equal(s.Payload, File.ReadAllBytes(Path.Combine(outDir, "sections", Extractor.SafeName(s.Path) + ".bin")));

        // Through a pipe (no mapping, no seeking).
        var pipeDir = Path.Combine(_dir, "pipe");
        Extractor.Extract(new NonSeekableStream(File.ReadAllBytes(mig)), pipeDir, new ExtractOptions { Sections = false });
        Assert.Equal(ram, File.ReadAllBytes(Path.Combine(pipeDir, "ram", "mem")));
    }
}
