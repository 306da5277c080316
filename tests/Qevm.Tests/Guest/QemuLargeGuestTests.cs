using System.Text.Json.Nodes;
using Qevm.Guest;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// The RAM split and RAM above 4 GiB: pc with 3.5 GiB (split at 3 GiB) and q35 with 4 GiB from a sparse
/// memory-backend-file with data near every boundary (split at 2 GiB, the block named by the backend). QEMU 7.2
/// migrates the paused guest to a file, then writes dump-guest-memory into a FIFO that the test reads while it
/// compares every byte with <c>qevm export</c>'s file (no multi-GiB dump on disk).
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuLargeGuestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-large-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pc3_5GiB_ExportEqualsDumpGuestMemory()
    {
        var layout = ExportAndCompare("pc35", ["-M", "pc-i440fx-7.2", "-m", "3584"]);
        Assert.Equal(3UL << 30, layout.Below4G);
        Assert.Equal(512UL << 20, layout.Above4G);
        Assert.Equal((0x100000000UL, "pc.ram", 3UL << 30, 512UL << 20), Last(layout));
    }

    [Fact]
    public void Microvm3_5GiB_ExportEqualsDumpGuestMemory()
    {
        var layout = ExportAndCompare("microvm35", ["-M", "microvm", "-m", "3584"]);
        Assert.Equal(GuestMachine.Microvm, layout.Machine);
        Assert.Equal(3UL << 30, layout.Below4G);
        Assert.Equal(512UL << 20, layout.Above4G);
        Assert.Equal((0x100000000UL, "microvm.ram", 3UL << 30, 512UL << 20), Last(layout));
    }

    [Fact]
    public void Q35_4GiB_FromAMemoryBackend_ExportEqualsDumpGuestMemory()
    {
        var image = Path.Combine(_dir, "ram.img");
        var rnd = new Random(15);
        using (var f = new FileStream(image, FileMode.Create))
        {
            f.SetLength(4L << 30);
            // Data on both sides of each boundary of the layout: 640 KiB, 768 KiB, 1 MiB, the 2 GiB split, the end.
            foreach (long at in (long[])[0, 0x9F000, 0xA0000, 0xBF000, 0xC0000, 0xFF000, 0x100000, 0x7FFFF000, 0x80000000, 0xFFFFF000])
            {
                var page = new byte[4096];
                rnd.NextBytes(page);
                f.Position = at;
                f.Write(page);
            }
        }
        var layout = ExportAndCompare("q35", ["-machine", "pc-q35-7.2,memory-backend=mem", "-m", "4G",
            "-object", $"memory-backend-file,id=mem,size=4G,mem-path={image},share=off"]);
        Assert.Equal(GuestMachine.Q35, layout.Machine);
        Assert.Equal(2UL << 30, layout.Below4G);
        Assert.Equal((0x100000000UL, "mem", 2UL << 30, 2UL << 30), Last(layout));
    }

    private static (ulong, string, ulong, ulong) Last(GuestPhysicalLayout l) =>
        (l.Ranges[^1].Address, l.Ranges[^1].Block, l.Ranges[^1].BlockOffset, l.Ranges[^1].Length);

    private GuestPhysicalLayout ExportAndCompare(string name, string[] args)
    {
        var mig = Path.Combine(_dir, name + ".mig");
        var ours = Path.Combine(_dir, name + ".elf");
        var fifo = Path.Combine(_dir, name + ".fifo");
        using var q = QemuProcess.Start([.. args, "-S"]);
        q.Execute("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 100L << 30 });
        q.MigrateToFile(mig, TimeSpan.FromSeconds(300));
        var err = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(["export", mig, "-o", ours, "--format", "elf"], TextWriter.Null, err) == 0, err.ToString());
        GuestPhysicalLayout layout;
        using (var m = File.OpenRead(mig)) layout = GuestPhysicalLayout.Read(m);

        Assert.Equal(0, ProgramRunner.Run("mkfifo", fifo).Code);
        // QEMU opens the FIFO when the command runs and blocks until a reader is there: read on another thread.
        var compare = Task.Run(() => CompareWithFifo(fifo, ours));
        q.Execute("dump-guest-memory", new JsonObject { ["paging"] = false, ["protocol"] = "file:" + fifo, ["detach"] = true });
        Assert.True(compare.Wait(TimeSpan.FromMinutes(5)), "reading QEMU's dump did not finish");
        var (length, difference, headers) = compare.Result;
        Assert.Equal("completed", q.Execute("query-dump").GetProperty("status").GetString());
        Assert.Equal(new FileInfo(ours).Length, length);
        Assert.True(difference < 0, $"first byte that differs from QEMU's dump: 0x{difference:x}");

        using var h = new MemoryStream(headers);
        var loads = ElfCoreFile.Read(h).ProgramHeaders.Where(p => p.Type == ElfProgramHeader.Load).Select(p => (p.PhysicalAddress, p.MemorySize));
        Assert.Equal(loads, layout.Ranges.Select(r => (r.Address, r.Length)));
        return layout;
    }

    // Reads QEMU's dump from the FIFO and compares it with our file chunk by chunk: (length, first differing
    // offset or -1, the first 64 KiB for the headers).
    internal static (long Length, long Difference, byte[] Headers) CompareWithFifo(string fifo, string ours)
    {
        using var qemu = new FileStream(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        using var mine = File.OpenRead(ours);
        var a = new byte[1 << 20];
        var b = new byte[1 << 20];
        var headers = new byte[64 << 10];
        long at = 0, difference = -1;
        while (true)
        {
            int n = qemu.ReadAtLeast(a, a.Length, throwOnEndOfStream: false);
            if (n == 0) break;
            if (at == 0) Array.Copy(a, headers, Math.Min(n, headers.Length));
            int m = mine.ReadAtLeast(b.AsSpan(0, n), n, throwOnEndOfStream: false);
            if (difference < 0)
            {
                int i = a.AsSpan(0, m).CommonPrefixLength(b.AsSpan(0, m));
                if (i < n) difference = at + i;
            }
            at += n;
        }
        return (at, difference, headers);
    }
}
