using Qevm.Tests.Corpus;

namespace Qevm.Tests.Properties;

/// <summary>
/// Every input AFL++ found to crash Qevm (fuzz/crashes, committed by fuzz/run.sh) and every fuzzing seed now
/// reads, or fails with the typed error only: what the fuzz target does with an input.
/// </summary>
public class FuzzRegressionTests
{
    public static IEnumerable<object[]> Inputs()
    {
        foreach (var dir in (string[])["seeds", "crashes"])
        {
            var path = Path.Combine(CorpusFiles.RepoRoot, "fuzz", dir);
            if (!Directory.Exists(path)) continue;
            foreach (var f in Directory.GetFiles(path).Order(StringComparer.Ordinal)) yield return [dir + "/" + Path.GetFileName(f)];
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_ReadsOrFailsWithTheTypedError(string name)
    {
        var data = File.ReadAllBytes(Path.Combine(CorpusFiles.RepoRoot, "fuzz", name));
        foreach (bool pipe in (bool[])[false, true])
        {
            try
            {
                Stream s = new MemoryStream(data, writable: false);
                if (pipe) s = new NonSeekableStream(s);
                StateDump.Read(s);
                StreamCopier.Copy(new MemoryStream(data, writable: false), Stream.Null);
            }
            catch (VmStateFormatException e)
            {
                Assert.InRange(e.Offset, 0, data.Length);
            }
        }
        try
        {
            Trailer.Parse(data);
        }
        catch (VmStateFormatException)
        {
        }
        // As a container (libvirt image, qcow2 snapshot 1, compressed stream): the seeds of each kind read whole.
        bool qcow2 = data.Length >= 4 && data[0] == 'Q' && data[1] == 'F' && data[2] == 'I' && data[3] == 0xFB;
        try
        {
            using var input = VmStateInput.Open(new MemoryStream(data, writable: false), new VmStateInputOptions { AllowPartial = true, Snapshot = qcow2 ? "1" : null });
            var info = StreamInfo.Read(input);
            if (name.StartsWith("seeds/tiny.", StringComparison.Ordinal)) Assert.Equal(0x10b0, info.EofOffset);
        }
        catch (Exception e) when (e is VmStateFormatException or NotSupportedException or ArgumentException && name.StartsWith("crashes/", StringComparison.Ordinal))
        {
        }
    }
}
