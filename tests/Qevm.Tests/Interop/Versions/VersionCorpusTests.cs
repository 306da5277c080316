using System.Text.Json.Nodes;

namespace Qevm.Tests.Interop.Versions;

/// <summary>
/// What the suite asks of 7.2 and 10.0, asked of another QEMU version's fresh files (<see cref="VersionCorpus"/>):
/// the record table read, <c>dump --format analyze</c> equal to QEMU's analyze-migration.py, convert byte for byte,
/// every section decoded and re-encoded to the same bytes, <c>dump --json</c> then <c>compose</c> byte for byte, and
/// an edit made with <c>set</c> loaded by the same QEMU version (<c>-incoming</c>) with the edit visible.
/// </summary>
[Trait("Category", "Qemu")]
public abstract class VersionCorpusTests(VersionCorpus corpus)
{
    private static IEnumerable<string> AllFiles => VersionCorpus.Streams.Concat(VersionCorpus.DeviceStates.Select(d => d.File));

    private static (int Code, string Out, string Err) Qevm(params string[] args) => Cli.QevmCli.Run(args);

    [Fact]
    public void Files_AreValid_WithTheVersionsRecords_AndConvertByteForByte()
    {
        string name = corpus.Version.Name;
        foreach (var file in AllFiles)
        {
            var path = corpus.PathOf(file);
            var (code, _, err) = Qevm("check", path);
            Assert.True(code == 0, $"{name} {file}: {err}");
            var copy = path + ".copy";
            (code, _, err) = Qevm("convert", path, "-o", copy);
            Assert.True(code == 0, $"{name} {file}: {err}");
            var bytes = File.ReadAllBytes(path);
            var copied = File.ReadAllBytes(copy);
            Assert.True(bytes.AsSpan().SequenceEqual(copied), $"{name} {file}: convert differs at {bytes.AsSpan().CommonPrefixLength(copied)}");
            File.Delete(copy);
        }

        // The configuration names the machine type; SWITCHOVER_START exists since QEMU 10.0 (machine types 10.0 and
        // newer send it), so 11.1's streams have one and 5.2's none.
        foreach (var (file, machine) in new[] { ("pc.mig", corpus.Version.NewestPc), ("q35.mig", corpus.Version.NewestQ35), ("devices.mig", corpus.Version.NewestPc) })
        {
            var info = StreamInfo.Read(File.OpenRead(corpus.PathOf(file)));
            Assert.Equal(machine, info.Configuration!.Machine);
            Assert.True(info.Footers);
            Assert.NotNull(info.Trailer);
            int switchovers = info.Commands.Count(c => c.Name == "SWITCHOVER_START");
            Assert.Equal(name == "5.2" ? 0 : 1, switchovers);
            Assert.Equal(32UL << 20, info.Ram!.Blocks.Single(b => b.Name == "pc.ram").UsedLength);
        }

        // The running guest's stream: RAM sent in PART records while the guest ran.
        var running = StreamInfo.Read(File.OpenRead(corpus.PathOf("pc.mig")));
        Assert.True(running.Sections.Count(s => s.Type == RecordType.SectionPart && s.Header.Idstr == "ram") >= 1);

        // The device-rich guest: each device's section and each option ROM's RAM block.
        var devices = StreamInfo.Read(File.OpenRead(corpus.PathOf("devices.mig")));
        foreach (var idstr in new[] { "0000:00:02.0/virtio-net", "0000:00:03.0/e1000", "0000:00:04.0/xhci", "0000:00:05.0/virtio-rng", "0000:00:06.0/virtio-balloon" })
            Assert.Contains(devices.Sections, s => s.Header.Idstr == idstr);
        Assert.Contains(devices.Sections, s => s.Header.Idstr.EndsWith("/usb-ptr", StringComparison.Ordinal));
        Assert.Contains(devices.Ram!.Blocks, b => b.Name == "0000:00:02.0/virtio-net-pci.rom");
        Assert.Contains(devices.Ram!.Blocks, b => b.Name == "0000:00:03.0/e1000.rom");

        // The savevm: listed as the version's own qemu-img lists it; its VM state is written like a migration stream,
        // configuration section included.
        var disk = corpus.PathOf("disk.qcow2");
        var expected = corpus.Version.QemuImg("snapshot", "-l", disk).TrimEnd('\n').Split('\n');
        var (c, listed, e) = Qevm("snapshots", disk);
        Assert.True(c == 0, e);
        // 11.1's qemu-img has another layout (VM_SIZE, VM_CLOCK with 4-digit hours, "--" for no icount); qevm prints
        // the layout of 5.2 to 10.0, so the rows are compared field by field: id, tag, size, date, time.
        var rows = listed.Split('\n')[..expected.Length];
        if (corpus.Version.Name == "11.1")
        {
            Assert.Equal("ID      TAG               VM_SIZE                DATE        VM_CLOCK     ICOUNT", expected[1]);
            Assert.Equal(expected[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..6], rows[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..6]);
        }
        else Assert.Equal(expected, rows);
        var savevm = StreamInfo.Read(File.OpenRead(corpus.PathOf("savevm.mig")));
        Assert.Equal(corpus.Version.NewestPc, savevm.Configuration!.Machine);
        Assert.Equal(
            StreamInfo.Read(File.OpenRead(corpus.PathOf("pc.mig"))).Sections.Where(s => s.Type is RecordType.SectionFull or RecordType.SectionStart).Select(s => s.Header.Idstr).Order(StringComparer.Ordinal),
            savevm.Sections.Where(s => s.Type is RecordType.SectionFull or RecordType.SectionStart).Select(s => s.Header.Idstr).Where(i => i != "block").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DumpFormatAnalyze_EqualsAnalyzeMigrationPy()
    {
        // QEMU 7.2's script (QEVM_ANALYZE_MIGRATION): neither chroot has Python, and Debian ships the script only in
        // the source package. It does not know QEMU_VM_COMMAND (SWITCHOVER_START): it reads 11.1's streams with the
        // commands taken out (they carry no state). Where qevm prints an array of structs from 11.1's description,
        // the 7.2 script keeps one object, the array's last element: that is the one difference allowed.
        var script = Environment.GetEnvironmentVariable("QEVM_ANALYZE_MIGRATION");
        Assert.False(string.IsNullOrEmpty(script), "QEVM_ANALYZE_MIGRATION is not set: run the tests with scripts/test.sh");
        int collapsed = 0;
        foreach (var file in VersionCorpus.Streams)
        {
            var path = corpus.PathOf(file);
            var info = StreamInfo.Read(File.OpenRead(path));
            var forScript = path;
            if (info.Commands.Count > 0)
            {
                var bytes = File.ReadAllBytes(path).ToList();
                foreach (var cmd in info.Commands.OrderByDescending(c => c.Offset)) bytes.RemoveRange((int)cmd.Offset, 5 + cmd.Length);
                forScript = path + ".nocmd";
                File.WriteAllBytes(forScript, [.. bytes]);
            }
            var (code, expected, err) = ProgramRunner.Run("python3", script!, "-f", forScript, "-d", "state");
            Assert.True(code == 0, $"{corpus.Version.Name} {file}: analyze-migration.py failed: {err}");
            var o = new StringWriter();
            Assert.Equal(0, global::Qevm.Cli.Program.Run(["dump", "--format", "analyze", path], o, TextWriter.Null));
            var differences = new List<string>();
            Compare(JsonNode.Parse(expected), JsonNode.Parse(o.ToString()), "", differences, ref collapsed);
            Assert.True(differences.Count == 0, $"{corpus.Version.Name} {file}: {differences.Count} differences: {string.Join("; ", differences.Take(10))}");
            if (info.Commands.Count == 0 && collapsed == 0) Assert.Equal(expected, o.ToString());
        }
        if (corpus.Version.Name == "5.2") Assert.Equal(0, collapsed);

        // The script's RAM (-x, written into the current folder) equals qevm's extract, block by block: the running
        // guest's stream, whose pages come in several passes.
        var pc = corpus.PathOf("pc.mig");
        var pcInfo = StreamInfo.Read(File.OpenRead(pc));
        var scriptDir = Directory.CreateDirectory(corpus.PathOf("analyze-x")).FullName;
        var (xCode, _, xErr) = ProgramRunner.Run("sh", "-c", "cd \"$1\" && exec python3 \"$2\" -f \"$3\" -x", "sh", scriptDir, script!, pcInfo.Commands.Count > 0 ? pc + ".nocmd" : pc);
        Assert.True(xCode == 0, $"analyze-migration.py -x: {xErr}");
        var qevmDir = corpus.PathOf("qevm-x");
        Extractor.Extract(File.OpenRead(pc), qevmDir, new ExtractOptions { Sections = false });
        foreach (var block in pcInfo.Ram!.Blocks)
        {
            var theirs = File.ReadAllBytes(Path.Combine(scriptDir, block.Name.TrimStart('/')));
            var ours = File.ReadAllBytes(Path.Combine(qevmDir, "ram", Extractor.SafeName(block.Name)));
            Assert.True(theirs.AsSpan().SequenceEqual(ours), $"{corpus.Version.Name}: RAM block {block.Name} differs");
        }
        Directory.Delete(scriptDir, recursive: true);
        Directory.Delete(qevmDir, recursive: true);
    }

    private static void Compare(JsonNode? script, JsonNode? qevm, string path, List<string> differences, ref int collapsed)
    {
        if (script is JsonObject && qevm is JsonArray list && list.Count > 0)
        {
            collapsed++;
            Compare(script, list[^1], path + "[-1]", differences, ref collapsed);
            return;
        }
        switch (script)
        {
            case JsonObject so when qevm is JsonObject qo:
                if (!so.Select(p => p.Key).SequenceEqual(qo.Select(p => p.Key)))
                    differences.Add($"{path}: keys {string.Join(',', so.Select(p => p.Key))} vs {string.Join(',', qo.Select(p => p.Key))}");
                foreach (var (k, v) in so)
                    if (qo.TryGetPropertyValue(k, out var w)) Compare(v, w, path + "/" + k, differences, ref collapsed);
                break;
            case JsonArray sa when qevm is JsonArray qa:
                if (sa.Count != qa.Count) differences.Add($"{path}: {sa.Count} vs {qa.Count} elements");
                for (int i = 0; i < Math.Min(sa.Count, qa.Count); i++) Compare(sa[i], qa[i], $"{path}[{i}]", differences, ref collapsed);
                break;
            default:
                if (!JsonNode.DeepEquals(script, qevm)) differences.Add($"{path}: {script?.ToJsonString()} vs {qevm?.ToJsonString()}");
                break;
        }
    }

    [Fact]
    public void EverySection_Decodes_AndReencodesToTheSameBytes()
    {
        foreach (var file in VersionCorpus.Streams)
            AssertDecodes(file, StateDump.Read(File.OpenRead(corpus.PathOf(file))));
        // A device-state file has no trailer: it decodes with its guest's stream's.
        foreach (var (file, stream) in VersionCorpus.DeviceStates)
        {
            var dump = StateDump.Read(File.OpenRead(corpus.PathOf(file)), [Trailer.Load(corpus.PathOf(stream))]);
            AssertDecodes(file, dump);
            Assert.Contains(dump.Sections, s => s.Path == "mc146818rtc#0");
        }
    }

    private void AssertDecodes(string file, StateDump dump)
    {
        Assert.NotEmpty(dump.Sections);
        foreach (var s in dump.Sections)
        {
            Assert.True(s.Root is not null, $"{corpus.Version.Name} {file}: {s.Path} not decoded: {string.Join("; ", s.Problems)}");
            Assert.Equal(s.Payload, VmStateCodec.Encode(s.Root!));
        }
    }

    [Fact]
    public void DumpJson_ThenCompose_IsByteIdentical()
    {
        foreach (var file in VersionCorpus.Streams)
        {
            var path = corpus.PathOf(file);
            var json = path + ".json";
            var composed = path + ".composed";
            var o = new StringWriter();
            var e = new StringWriter();
            Assert.True(global::Qevm.Cli.Program.Run(["dump", "--json", path], o, e) == 0, e.ToString());
            File.WriteAllText(json, o.ToString());
            var (code, _, err) = Qevm("compose", json, "-o", composed);
            Assert.True(code == 0, $"{corpus.Version.Name} {file}: {err}");
            var bytes = File.ReadAllBytes(path);
            var back = File.ReadAllBytes(composed);
            Assert.True(bytes.AsSpan().SequenceEqual(back), $"{corpus.Version.Name} {file}: first difference at {bytes.AsSpan().CommonPrefixLength(back)} of {bytes.Length}");
            File.Delete(json);
            File.Delete(composed);
        }
    }

    [Fact]
    public void EditedStreams_AreLoadedByTheSameVersion_WithTheEditVisible()
    {
        var v = corpus.Version;
        foreach (var name in new[] { "pc", "q35", "devices" })
        {
            var edited = corpus.PathOf(name + ".edited.mig");
            var (code, _, err) = Qevm("set", corpus.PathOf(name + ".mig"), "-o", edited, "cpu#0/env.regs[0]=0x55667788", "cpu#1/env.regs[3]=0x0badc0de");
            Assert.True(code == 0, $"{v.Name} {name}: {err}");
            var (diffCode, diff, _) = Qevm("diff", corpus.PathOf(name + ".mig"), edited);
            Assert.Equal(1, diffCode);
            Assert.Equal(2, diff.TrimEnd('\n').Split('\n').Length);

            using var q = v.Start([.. corpus.MachineArgs[name], "-S", "-incoming", $"exec:cat '{edited}'"]);
            Assert.Equal("completed", q.WaitForMigrationStatus(TimeSpan.FromSeconds(60), "completed", "failed"));
            // info registers: the guest is in 32-bit mode after SeaBIOS. (HMP's "print $eax" is gone in 11.1, and 5.2 has no $rax.)
            Assert.Contains("EAX=55667788", q.Hmp("info registers", 0), StringComparison.Ordinal);
            Assert.Contains("EBX=0badc0de", q.Hmp("info registers", 1), StringComparison.Ordinal);
            if (name == "devices")
            {
                string usb = q.Hmp("info usb");
                Assert.Contains("QEMU USB Tablet", usb, StringComparison.Ordinal);
            }
            File.Delete(edited);
        }
    }
}

/// <summary>QEMU 5.2 (Debian bullseye): pc-i440fx-5.2 and pc-q35-5.2.</summary>
public sealed class Qemu52CorpusTests(Qemu52Corpus corpus) : VersionCorpusTests(corpus), IClassFixture<Qemu52Corpus>;

/// <summary>QEMU 11.1 (Debian sid): pc-i440fx-11.1 and pc-q35-11.1.</summary>
public sealed class Qemu111CorpusTests(Qemu111Corpus corpus) : VersionCorpusTests(corpus), IClassFixture<Qemu111Corpus>;
