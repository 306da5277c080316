using System.Buffers.Binary;
using System.Text;

namespace Qevm.Tests.Interop;

/// <summary>
/// Differential test: corrupted variants of a real QEMU 7.2 stream are loaded by QEMU 7.2 (<c>-incoming</c>), and
/// <c>qevm check --target</c> (the same QEMU's <c>-dump-vmstate</c>, or a catalogue of its stream) gives the same
/// accept/reject verdict, in QEMU's own words.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuVerdictTests : IDisposable
{
    private static readonly string[] Machine = ["-M", "pc-i440fx-7.2", "-m", "16"];
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-verdict-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Case(string Name, byte[] Bytes, bool UseCatalogue = false);

    [Fact]
    public void CheckTarget_AgreesWithQemu_OnEveryCorruption()
    {
        var mig = Path.Combine(_dir, "source.mig");
        using (var q = QemuProcess.Start(Machine))
        {
            Thread.Sleep(500);
            q.Execute("stop");
            q.MigrateToFile(mig, TimeSpan.FromSeconds(60));
        }
        var dumpPath = Path.Combine(_dir, "dump.json");
        using (var p = System.Diagnostics.Process.Start("qemu-system-x86_64", ["-nodefaults", "-display", "none", .. Machine, "-dump-vmstate", dumpPath])) p!.WaitForExit();
        var catalogue = new SchemaCatalogue();
        catalogue.Harvest(File.OpenRead(mig), "source.mig");
        var catPath = Path.Combine(_dir, "catalogue.json");
        AtomicFile.Write(catPath, s =>
        {
            using var w = new System.Text.Json.Utf8JsonWriter(s);
            catalogue.Write(w);
        });

        var src = File.ReadAllBytes(mig);
        var info = StreamInfo.Read(new MemoryStream(src));
        var rtc = info.Sections.First(s => s.Header.Idstr == "mc146818rtc");
        var port92 = info.Sections.First(s => s.Header.Idstr == "port92");
        var ramStart = info.Sections.First(s => s.Type == RecordType.SectionStart);
        var ramPart = info.Sections.First(s => s.Type == RecordType.SectionPart && s.PayloadLength > 100);

        byte[] Edit(Action<byte[]> change)
        {
            var b = (byte[])src.Clone();
            change(b);
            return b;
        }
        byte[] Insert(long at, byte[] bytes) => [.. src.AsSpan(0, (int)at), .. bytes, .. src.AsSpan((int)at)];
        byte[] Cut(long at) => src.AsSpan(0, (int)at).ToArray();

        var cases = new List<Case>
        {
            new("unchanged", src),
            new("cut before EOF", Cut(info.EofOffset)),
            new("cut in a device section", Cut(rtc.PayloadOffset + 10)),
            new("cut in RAM", Cut(ramPart.PayloadOffset + 5000)),
            new("cut right after EOF", Cut(info.EofOffset + 1)),
            new("trailer marker damaged", Edit(b => b[info.Trailer!.Value.Offset] = 0x07)),
            new("magic", Edit(b => b[3] = (byte)'N')),
            new("version 2", Edit(b => b[7] = 2)),
            new("version 4", Edit(b => b[7] = 4)),
            new("unknown record type", Edit(b => b[rtc.RecordOffset] = 0x09)),
            new("bad footer id", Edit(b => b[rtc.FooterOffset!.Value + 4] ^= 0x01)),
            new("missing footer", Edit(b => b[rtc.FooterOffset!.Value] = 0x00)),
            new("version too new", Edit(b => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan((int)(rtc.PayloadOffset - 4)), 4))),
            new("version below the minimum", Edit(b => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan((int)(rtc.PayloadOffset - 4)), 0))),
            new("wrong machine", Edit(b => b[info.ConfigurationOffset + 5 + 12] = (byte)'1')),
            new("missing configuration", [.. src.AsSpan(0, 8), .. src.AsSpan((int)(info.ConfigurationOffset + 1 + info.ConfigurationLength))]),
            new("unknown section", Edit(b => Encoding.ASCII.GetBytes("portXX").CopyTo(b, port92.RecordOffset + 6)), UseCatalogue: true),
            new("unknown PART section id", Edit(b => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan((int)ramPart.RecordOffset + 1), 999))),
            new("bad RAM flags", Edit(b => b[ramPart.PayloadOffset + 6] |= 0x02)),
            new("unknown command", Insert(info.EofOffset, [0x08, 0x00, 0x0C, 0x00, 0x00])),
            new("PING without return path", Insert(info.EofOffset, [0x08, 0x00, 0x02, 0x00, 0x04, 0, 0, 0, 1])),
            new("ram START footer id", Edit(b => b[ramStart.FooterOffset!.Value + 4] ^= 0x10)),
        };
        Assert.True(cases.Count >= 21);

        var disagreements = new List<string>();
        foreach (var c in cases)
        {
            var path = Path.Combine(_dir, c.Name.Replace(' ', '-') + ".mig");
            File.WriteAllBytes(path, c.Bytes);
            var (qemuAccepts, log) = QemuProcess.LoadIncoming(Machine, path);
            var err = new StringWriter();
            int code = Qevm.Cli.Program.Run(["check", path, "--target", c.UseCatalogue ? catPath : dumpPath], TextWriter.Null, err);
            bool qevmAccepts = code == 0;
            if (qevmAccepts != qemuAccepts)
            {
                disagreements.Add($"{c.Name}: QEMU {(qemuAccepts ? "accepts" : "refuses")}, qevm {(qevmAccepts ? "accepts" : "refuses")}: {err.ToString().Trim()} | QEMU: {log.Trim()}");
                continue;
            }
            if (!qemuAccepts)
            {
                // QEMU's own wording, as qevm quotes it, is in QEMU's output.
                var line = err.ToString();
                int q = line.IndexOf("(QEMU: ", StringComparison.Ordinal);
                string words = q >= 0 ? line[(q + 7)..line.LastIndexOf(')')] : line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
                foreach (var part in words.Split("; "))
                    if (!log.Contains(part, StringComparison.Ordinal)) disagreements.Add($"{c.Name}: QEMU's output lacks \"{part}\": {log.Trim()}");
            }
        }
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }
}
