using System.Globalization;
using System.Text.Json.Nodes;
using Qevm.Guest;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// <c>qevm export --format raw</c> and <c>qevm memory read</c> against QEMU 7.2's own readers of the same paused
/// guest: <c>pmemsave</c> (QMP) of every RAM range and HMP <c>xp</c>. One QEMU run: pc with 32 MiB, run for a
/// moment so that SeaBIOS has written RAM and switched PAM, paused, dumped, migrated, then read by QEMU.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuRawExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-raw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pc32MiB_RawImageEqualsPmemsave_MemoryReadEqualsXp()
    {
        var saved = new List<(GuestRange Range, string File)>();
        var xp = new Dictionary<ulong, byte[]>();
        (ulong Address, ulong Length)[] reads = [(0x6ff0, 0x30), (0xffff0, 0x10), (0x1fffff8, 8)];
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "pc32", RunSeaBios, q =>
        {
            // QEMU's own reads of the paused guest, range by range of the layout taken from the stream.
            GuestPhysicalLayout layout;
            using (var f = File.OpenRead(Path.Combine(_dir, "pc32.mig"))) layout = GuestPhysicalLayout.Read(f);
            foreach (var r in layout.Ranges)
            {
                var file = Path.Combine(_dir, FormattableString.Invariant($"pmem-{r.Address:x}"));
                q.Execute("pmemsave", new JsonObject { ["val"] = r.Address, ["size"] = r.Length, ["filename"] = file });
                saved.Add((r, file));
            }
            foreach (var (address, length) in reads) xp[address] = XpBytes(q.Hmp(FormattableString.Invariant($"xp /{length}xb 0x{address:x}")));
        }, "-M", "pc-i440fx-7.2", "-m", "32");

        // The ELF of the same stream is still QEMU's (the page walk is shared).
        ElfExportAssert.ExportEquals(_dir, elf, mig);

        var raw = Path.Combine(_dir, "pc32.raw");
        var (code, output, err) = Qevm("export", mig, "-o", raw, "--format", "raw");
        Assert.True(code == 0, err);
        Assert.Equal($"{raw}: raw guest-physical image, 0x100000000 bytes, {saved.Count} RAM ranges", output.Trim());
        Assert.Equal(1L << 32, new FileInfo(raw).Length); // pc.bios ends at 4 GiB
        Assert.True(saved.Count >= 2);
        using (var image = File.OpenRead(raw))
        {
            foreach (var (r, file) in saved)
            {
                var expected = File.ReadAllBytes(file);
                Assert.Equal((long)r.Length, expected.Length);
                var mine = new byte[r.Length];
                image.Position = (long)r.Address;
                image.ReadExactly(mine);
                Assert.True(expected.AsSpan().SequenceEqual(mine), FormattableString.Invariant($"range 0x{r.Address:x} ({r.Block}) differs from pmemsave"));
            }
        }
        // Sparse: the 4 GiB file holds about the guest's non-zero pages (SeaBIOS's, the ROMs), far below its 32 MiB.
        long allocated = AllocatedBytes(raw);
        Assert.True(allocated < 16L << 20, $"the raw image has {allocated} bytes allocated");
        Assert.True(allocated > 0);

        // memory read: the hex dump shows what xp shows, -o writes what pmemsave wrote.
        foreach (var (address, length) in reads)
        {
            var (c, dump, e) = Qevm("memory", "read", mig, "0x" + address.ToString("x", CultureInfo.InvariantCulture), length.ToString(CultureInfo.InvariantCulture));
            Assert.True(c == 0, e);
            Assert.Equal(xp[address], HexDumpBytes(dump, address));
            var bytes = Path.Combine(_dir, "read.bin");
            (c, _, e) = Qevm("memory", "read", mig, address.ToString(CultureInfo.InvariantCulture), "0x" + length.ToString("x", CultureInfo.InvariantCulture), "-o", bytes);
            Assert.True(c == 0, e);
            Assert.Equal(xp[address], File.ReadAllBytes(bytes));
        }
        // A whole range by -o equals pmemsave byte for byte.
        var (first, firstFile) = saved[0];
        var whole = Path.Combine(_dir, "whole.bin");
        Assert.Equal(0, Qevm("memory", "read", mig, first.Address.ToString(CultureInfo.InvariantCulture), first.Length.ToString(CultureInfo.InvariantCulture), "-o", whole).Code);
        Assert.Equal(File.ReadAllBytes(firstFile), File.ReadAllBytes(whole));

        // Past the end of RAM (32 MiB): one line, exit 1.
        var (code2, out2, err2) = Qevm("memory", "read", mig, "0x1fffff0", "0x20");
        Assert.Equal(1, code2);
        Assert.Equal("", out2);
        Assert.Equal("qevm: guest-physical address 0x2000000 is not RAM: it lies between 0x0-0x1ffffff (pc.ram) and 0xfffc0000-0xffffffff (pc.bios)", err2.TrimEnd());
    }

    private static (int Code, string Out, string Err) Qevm(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    // Runs SeaBIOS until it has switched PAM to RAM and written its tables (a second is plenty under TCG), then stops.
    private static void RunSeaBios(QemuProcess q)
    {
        q.Execute("cont");
        Thread.Sleep(1500);
        q.Execute("stop");
    }

    // HMP xp /Nxb: "00000000000f0000: 0x31 0xc0 ..." lines.
    internal static byte[] XpBytes(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(t => byte.Parse(t.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();

    // xxd lines "ADDR: 4865 6c6c ...  text": checks each line's address and takes the hex groups.
    private static byte[] HexDumpBytes(string dump, ulong address)
    {
        var bytes = new List<byte>();
        foreach (var line in dump.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            Assert.Equal(address + (ulong)bytes.Count, ulong.Parse(line.AsSpan(0, colon), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            var hex = line.Substring(colon + 1, 40).Replace(" ", "", StringComparison.Ordinal);
            bytes.AddRange(Convert.FromHexString(hex));
        }
        return [.. bytes];
    }

    private static long AllocatedBytes(string path)
    {
        var (code, stdout, _) = ProgramRunner.Run("stat", "-c", "%b %B", path);
        Assert.Equal(0, code);
        var parts = stdout.Trim().Split(' ');
        return long.Parse(parts[0], CultureInfo.InvariantCulture) * long.Parse(parts[1], CultureInfo.InvariantCulture);
    }
}
