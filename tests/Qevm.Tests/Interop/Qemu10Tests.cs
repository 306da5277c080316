using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Interop;

/// <summary>
/// Real QEMU 10.0.2 beside 7.2 (issue 8): a fresh 10.0 stream and a fresh mapped-ram file are read, edited and
/// loaded back by QEMU 10.0 with the edit visible, and the RAM extracted from the mapped-ram file equals the
/// guest's RAM (<c>pmemsave</c> of the source before the migration: after the firmware ran, ISSUE-NOTES issue 6).
/// </summary>
[Trait("Category", "Qemu")]
public sealed class Qemu10Tests : IDisposable
{
    private const long RamSize = 32 << 20;
    private static readonly string[] Machine = ["-M", "pc-i440fx-10.0", "-m", "32", "-smp", "2"];
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-qemu10-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonArray Capabilities(params string[] names) =>
        [.. names.Select(n => (JsonNode)new JsonObject { ["capability"] = n, ["state"] = true })];

    private static (int Code, string Out, string Err) RunQevm(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    // Allocated bytes of a file (st_blocks * 512): mapped-ram files must stay sparse.
    private static long AllocatedBytes(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return long.Parse(parts[0], CultureInfo.InvariantCulture) * long.Parse(parts[1], CultureInfo.InvariantCulture);
    }

    // Starts a QEMU 10 that waits for an incoming migration (-S: the guest must not run and change its registers),
    // loads FILE through URI with the given capabilities, and waits for "completed".
    private static QemuProcess LoadDeferred(string uri, params string[] capabilities)
    {
        var q = Qemu10.Start([.. Machine, "-S", "-incoming", "defer"]);
        try
        {
            if (capabilities.Length > 0)
                q.Execute("migrate-set-capabilities", new JsonObject { ["capabilities"] = Capabilities(capabilities) });
            q.Execute("migrate-incoming", new JsonObject { ["uri"] = uri });
            Assert.Equal("completed", q.WaitForMigrationStatus(TimeSpan.FromSeconds(60), "completed", "failed"));
            return q;
        }
        catch
        {
            q.Dispose();
            throw;
        }
    }

    [Fact]
    public void FreshStream_IsRead_Edited_AndLoadedByQemu10()
    {
        var mig = Path.Combine(_dir, "full.mig");
        var dev = Path.Combine(_dir, "device.state");
        string version;
        using (var src = Qemu10.Start(Machine))
        {
            version = src.Execute("query-version").GetProperty("qemu").GetProperty("major").GetInt32().ToString(CultureInfo.InvariantCulture);
            Thread.Sleep(1000); // let SeaBIOS run
            src.Execute("stop");
            src.SaveDevices(dev);
            src.MigrateToFile(mig, TimeSpan.FromSeconds(60));
        }
        Assert.Equal("10", version);

        // Read: valid, SWITCHOVER_START between the iterative sections' last PART and their END, the trailer's
        // configuration object, and a byte-identical copy.
        var (code, _, err) = RunQevm("check", mig);
        Assert.True(code == 0, err);
        var info = StreamInfo.Read(File.OpenRead(mig));
        Assert.Equal("pc-i440fx-10.0", info.Configuration!.Machine);
        var switchover = Assert.Single(info.Commands, c => c.Name == "SWITCHOVER_START");
        uint ramId = info.Sections.Single(s => s.Type == RecordType.SectionStart && s.Header.Idstr == "ram").Header.SectionId;
        var ramEnd = Assert.Single(info.Sections, s => s.Type == RecordType.SectionEnd && s.Header.SectionId == ramId);
        var lastPart = info.Sections.Last(s => s.Type == RecordType.SectionPart);
        Assert.InRange(switchover.Offset, lastPart.RecordOffset, ramEnd.RecordOffset);
        Assert.Equal("configuration", Trailer.Load(mig).Root.EnumerateObject().First().Name);
        var copy = Path.Combine(_dir, "copy.mig");
        (code, _, err) = RunQevm("convert", mig, "-o", copy);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(mig), File.ReadAllBytes(copy));

        // The device-state file decodes with the stream's trailer, and its RTC and PIC fields equal the stream's
        // (the same stopped guest).
        var devDump = StateDump.Read(File.OpenRead(dev), [Trailer.Load(mig)]);
        var migDump = StateDump.Read(File.OpenRead(mig));
        foreach (var path in new[] { "mc146818rtc#0", "i8259#0", "i8259#1", "i8254#0", "cpu#0", "cpu#1" })
            Assert.Equal(migDump.Sections.Single(s => s.Path == path).Payload, devDump.Sections.Single(s => s.Path == path).Payload);

        // Edit two registers; QEMU 10 loads the result and shows them.
        var edited = Path.Combine(_dir, "edited.mig");
        (code, _, err) = RunQevm("set", mig, "-o", edited, "cpu#0/env.regs[0]=0x1122334455667788", "cpu#1/env.regs[3]=0x0badc0de");
        Assert.True(code == 0, err);
        var (diffCode, diff, _) = RunQevm("diff", mig, edited);
        Assert.Equal(1, diffCode);
        Assert.Equal(2, diff.TrimEnd('\n').Split('\n').Length);
        using var dest = LoadDeferred($"exec:cat '{edited}'");
        Assert.Contains("0x1122334455667788", dest.Hmp("print $eax", 0), StringComparison.Ordinal);
        Assert.Contains("EBX=0badc0de", dest.Hmp("info registers", 1), StringComparison.Ordinal);
    }

    [Fact]
    public void MappedRamFile_ExtractsTheGuestsRam_IsEdited_AndLoadedByQemu10()
    {
        var mig = Path.Combine(_dir, "mapped.mig");
        var truth = Path.Combine(_dir, "pmemsave.bin");
        using (var src = Qemu10.Start(Machine))
        {
            Thread.Sleep(1000); // after the firmware ran, pmemsave 0 32M equals pc.ram
            src.Execute("stop");
            src.Execute("pmemsave", new JsonObject { ["val"] = 0, ["size"] = RamSize, ["filename"] = truth });
            src.Execute("migrate-set-capabilities", new JsonObject { ["capabilities"] = Capabilities("mapped-ram", "multifd") });
            src.Execute("migrate", new JsonObject { ["uri"] = "file:" + mig });
            src.WaitForMigrationStatus(TimeSpan.FromSeconds(60), "completed");
        }
        long length = new FileInfo(mig).Length;
        Assert.True(AllocatedBytes(mig) < length / 4, "QEMU's mapped-ram file is sparse");

        var (code, _, err) = RunQevm("check", mig);
        Assert.True(code == 0, err);
        var info = StreamInfo.Read(File.OpenRead(mig));
        Assert.True(info.Ram!.MappedRam);
        Assert.Contains(info.Configuration!.Capabilities!, c => c == "mapped-ram");

        // extract: the pc.ram block equals the guest's RAM, written sparse.
        var outDir = Path.Combine(_dir, "out");
        (code, _, err) = RunQevm("extract", mig, "-o", outDir, "--ram-only");
        Assert.True(code == 0, err);
        var ram = Path.Combine(outDir, "ram", "pc.ram");
        Assert.Equal(File.ReadAllBytes(truth), File.ReadAllBytes(ram));
        Assert.True(AllocatedBytes(ram) < RamSize / 2, "zero pages are holes");

        // A pipe cannot be read with seeks: refused with a message saying why.
        var refused = Assert.Throws<NotSupportedException>(() =>
            Extractor.Extract(new NonSeekableStream(new MemoryStream(File.ReadAllBytes(mig))), Path.Combine(_dir, "pipe"), new ExtractOptions { Sections = false }));
        Assert.Contains("mapped-ram", refused.Message, StringComparison.Ordinal);

        // Gzipped, it is read forward (check), and what needs seeks says so.
        var gz = Path.Combine(_dir, "mapped.mig.gz");
        using (var input = File.OpenRead(mig))
        using (var output = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Fastest))
            input.CopyTo(output);
        (code, _, err) = RunQevm("check", gz);
        Assert.True(code == 0, err);
        (code, _, err) = RunQevm("extract", gz, "--ram-only", "-o", Path.Combine(_dir, "gz"));
        Assert.Equal(2, code);
        Assert.Contains("a compressed stream is read forward only: decompress it to a file first", err, StringComparison.Ordinal);

        // convert and set keep the file sparse; QEMU 10 loads the edited file with the same capabilities.
        var copy = Path.Combine(_dir, "copy.mig");
        (code, _, err) = RunQevm("convert", mig, "-o", copy);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(mig), File.ReadAllBytes(copy));
        var edited = Path.Combine(_dir, "edited.mig");
        (code, _, err) = RunQevm("set", mig, "-o", edited, "cpu#0/env.regs[0]=0x1122334455667788");
        Assert.True(code == 0, err);
        Assert.Equal(length, new FileInfo(edited).Length);
        Assert.True(AllocatedBytes(edited) < length / 4, "the edited mapped-ram file stays sparse");
        var (diffCode, diff, _) = RunQevm("diff", mig, edited);
        Assert.Equal(1, diffCode);
        Assert.StartsWith("cpu#0/env.regs[0]: ", Assert.Single(diff.TrimEnd('\n').Split('\n')), StringComparison.Ordinal);

        using var dest = LoadDeferred("file:" + edited, "mapped-ram", "multifd");
        Assert.Contains("0x1122334455667788", dest.Hmp("print $eax", 0), StringComparison.Ordinal);
        var loaded = Path.Combine(_dir, "loaded.bin");
        dest.Execute("pmemsave", new JsonObject { ["val"] = 0, ["size"] = RamSize, ["filename"] = loaded });
        Assert.Equal(File.ReadAllBytes(truth), File.ReadAllBytes(loaded));
    }

    [Fact]
    public void LibvirtSparseImage_MappedRamAtAnOffset_IsRead_Edited_AndLoadedByQemu10()
    {
        // What a libvirt sparse save image (format 6) is: the libvirt header, then a mapped-ram stream that QEMU wrote
        // at file:PATH,offset=N, whose offsets count from the file's start. Bookworm's libvirt cannot write one, so the
        // test writes the header into the first N bytes of QEMU 10's own file.
        const long n = 1 << 20;
        var image = Path.Combine(_dir, "sparse.save");
        var truth = Path.Combine(_dir, "pmemsave.bin");
        using (var src = Qemu10.Start(Machine))
        {
            Thread.Sleep(1000);
            src.Execute("stop");
            src.Execute("pmemsave", new JsonObject { ["val"] = 0, ["size"] = RamSize, ["filename"] = truth });
            src.Execute("migrate-set-capabilities", new JsonObject { ["capabilities"] = Capabilities("mapped-ram", "multifd") });
            src.Execute("migrate", new JsonObject { ["uri"] = $"file:{image},offset={n}" });
            src.WaitForMigrationStatus(TimeSpan.FromSeconds(60), "completed");
        }
        var header = Containers.ContainerBytes.Libvirt([], format: 6, dataLen: (uint)(n - 92));
        Assert.Equal(n, header.Length);
        using (var f = new FileStream(image, FileMode.Open, FileAccess.Write))
            f.Write(header);

        var (code, _, err) = RunQevm("check", image);
        Assert.True(code == 0, err);
        var info = System.Text.Json.Nodes.JsonNode.Parse(RunQevm("info", image, "--json").Out)!;
        Assert.Equal("sparse", (string)info["container"]!["compression"]!);
        Assert.Equal(n, (long)info["container"]!["stream_offset"]!);
        Assert.True((bool)info["ram"]!["mapped_ram"]!);
        var outDir = Path.Combine(_dir, "out");
        (code, _, err) = RunQevm("extract", image, "-o", outDir, "--ram-only");
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(truth), File.ReadAllBytes(Path.Combine(outDir, "ram", "pc.ram")));

        // set keeps the header, the offsets and the holes; QEMU 10 loads the stream at the same offset.
        var edited = Path.Combine(_dir, "edited.save");
        (code, _, err) = RunQevm("set", image, "-o", edited, "cpu#0/env.regs[0]=0x1122334455667788");
        Assert.True(code == 0, err);
        Assert.Equal(header, File.ReadAllBytes(edited).AsSpan(0, (int)n).ToArray());
        Assert.True(AllocatedBytes(edited) < new FileInfo(edited).Length / 4, "the edited image stays sparse");
        using var dest = LoadDeferred($"file:{edited},offset={n}", "mapped-ram", "multifd");
        Assert.Contains("0x1122334455667788", dest.Hmp("print $eax", 0), StringComparison.Ordinal);
        var loaded = Path.Combine(_dir, "loaded.bin");
        dest.Execute("pmemsave", new JsonObject { ["val"] = 0, ["size"] = RamSize, ["filename"] = loaded });
        Assert.Equal(File.ReadAllBytes(truth), File.ReadAllBytes(loaded));
    }
}
