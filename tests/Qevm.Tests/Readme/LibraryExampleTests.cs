using Qevm.Codec;
using Qevm.Edit;
using Qevm.Iterative;
using Qevm.Streams;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Readme;

/// <summary>README's library example, as written there, run on the x86-pc fixture.</summary>
public sealed class LibraryExampleTests
{
    // The README's statements; Console is the test's writer.
    private static void Run(TextWriter Console)
    {
        using (var input = File.OpenRead("full.mig"))
        using (var reader = new VmStateReader(input))
        {
            while (reader.Read())
            {
                if (reader.RecordType == RecordType.SectionFull)
                    Console.WriteLine($"{reader.Section!.Idstr} #{reader.Section.InstanceId}: {reader.PayloadLength} bytes at {reader.PayloadOffset}");
                else if (reader.RecordType == RecordType.SectionPart && reader.Section!.Idstr == "ram")
                    while (reader.ReadItem())
                        if (reader.Item.Kind == IterativeItemKind.RamPage) { /* reader.Item.Block, .PageOffset; reader.ItemData */ }
            }
        }

        StateDump dump;
        using (var input = File.OpenRead("full.mig"))
            dump = StateDump.Read(input);                                       // device sections decoded by the trailer (or schemas)
        var rtc = dump.Sections.First(s => s.Header.Idstr == "mc146818rtc").Root!;
        var index = (VmScalar)rtc["cmos_index"]!;
        Console.WriteLine($"cmos_index = {index.Bits} at offset {index.Offset}");

        using (var output = File.Create("edited.mig"))                          // every other byte copied as it was
            StateEditor.Edit(() => File.OpenRead("full.mig"), output, [("mc146818rtc#0/cmos_index", "0x0c")]);
    }

    [Fact]
    public void ReadmeExample_Runs()
    {
        File.Copy(Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "full.mig"), "full.mig", overwrite: true);
        try
        {
            var log = new StringWriter();
            Run(log);
            var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var info = StreamInfo.Read(File.OpenRead("full.mig"));
            Assert.Equal(info.Sections.Count(s => s.Type == RecordType.SectionFull) + 1, lines.Length);
            Assert.Contains(lines, l => l.StartsWith("mc146818rtc #0: ", StringComparison.Ordinal));
            var at = long.Parse(lines[^1].Split(" at offset ")[1], System.Globalization.CultureInfo.InvariantCulture);
            var before = File.ReadAllBytes("full.mig");
            var after = File.ReadAllBytes("edited.mig");
            Assert.Equal(before.Length, after.Length);
            Assert.Equal([(int)at], Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]));
            Assert.Equal(0x0c, after[at]);
        }
        finally
        {
            File.Delete("full.mig");
            File.Delete("edited.mig");
        }
    }
}
