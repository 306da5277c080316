using CsCheck;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Properties;

/// <summary>
/// Mutated real files (byte flips, cuts, inserted and deleted bytes) either read or fail with
/// <see cref="VmStateFormatException"/>: no other exception escapes the reader.
/// </summary>
public class MutationProperties
{
    internal enum Mutation { Flip, Truncate, Insert, Delete }

    internal static readonly Gen<(Mutation, int, byte)> Edit =
        Gen.Select(Gen.Enum<Mutation>(), Gen.Int[0, int.MaxValue], Gen.Byte);

    internal static byte[] Apply(byte[] input, (Mutation Kind, int Where, byte Value)[] edits)
    {
        var b = new List<byte>(input);
        foreach (var (kind, where, value) in edits)
        {
            if (b.Count == 0) break;
            int at = where % b.Count;
            switch (kind)
            {
                case Mutation.Flip: b[at] ^= (byte)(value | 1); break;
                case Mutation.Truncate: b.RemoveRange(at, b.Count - at); break;
                case Mutation.Insert: b.Insert(at, value); break;
                case Mutation.Delete: b.RemoveAt(at); break;
            }
        }
        return [.. b];
    }

    [Theory]
    [InlineData("fixtures/x86-pc/device.state")]
    [InlineData("fixtures/x86-pc/full.mig")]
    [InlineData("fixtures/x86-pc-smp2/device.state")]
    public void MutatedFile_ReadsOrFailsWithFormatException(string name)
    {
        var original = CorpusFiles.Bytes(name);
        // QEVM_MUTATIONS sets the count (the suite runs 1,000 per file; a long local run: 100000).
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("QEVM_MUTATIONS"), out var n) ? n : 1000;
        Edit.Array[1, 4].Sample(edits =>
        {
            var mutated = Apply(original, edits);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            foreach (bool pipe in (bool[])[false, true])
            {
                Stream s = new MemoryStream(mutated, writable: false);
                if (pipe) s = new NonSeekableStream(s);
                try
                {
                    using (s) StreamInfo.Read(s);
                    using var copy = new MemoryStream();
                    StreamCopier.Copy(new MemoryStream(mutated, writable: false), copy);
                }
                catch (VmStateFormatException e)
                {
                    Assert.InRange(e.Offset, 0, mutated.Length);
                }
            }
            // No input may take long or make the reader allocate far beyond its size.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"an input took {clock.Elapsed}");
            long used = GC.GetAllocatedBytesForCurrentThread() - allocated;
            Assert.True(used < 64L << 20, $"an input of {mutated.Length} bytes made the reader allocate {used} bytes");
        }, iter: iterations, threads: 1, seed: "0000000000001");
    }
}
