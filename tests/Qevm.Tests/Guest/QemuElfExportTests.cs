using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// <c>qevm export --format elf</c> of a stream equals QEMU 7.2's <c>dump-guest-memory</c> (paging off) of the same
/// paused guest: ELF header, section headers, program headers, notes and every PT_LOAD's bytes.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuElfExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-elf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pc32MiB_ExportEqualsDumpGuestMemory()
    {
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "pc32", "-M", "pc-i440fx-7.2", "-m", "32");
        var ours = Path.Combine(_dir, "ours.elf");
        var err = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(["export", mig, "-o", ours, "--format", "elf"], TextWriter.Null, err) == 0, err.ToString());

        var qemu = ElfCoreFile.Read(elf);
        var mine = ElfCoreFile.Read(ours);
        Assert.Equal(qemu.Header, mine.Header);
        Assert.Equal(3, mine.Machine); // EM_386: SeaBIOS has not left real mode
        Assert.Equal(qemu.ProgramHeaders.Select(p => p.Bytes), mine.ProgramHeaders.Select(p => p.Bytes));

        var q = File.ReadAllBytes(elf);
        var m = File.ReadAllBytes(ours);
        // Section headers (null and .shstrtab) between the ELF header and the program headers.
        Assert.Equal(q[64..192], m[64..192]);
        var note = qemu.ProgramHeaders[0];
        Assert.Equal(ElfProgramHeader.Note, note.Type);
        Assert.Equal(q.AsSpan((int)note.Offset, (int)note.FileSize).ToArray(), m.AsSpan((int)note.Offset, (int)note.FileSize).ToArray());
        foreach (var load in qemu.ProgramHeaders.Skip(1))
            Assert.True(q.AsSpan((int)load.Offset, (int)load.FileSize).SequenceEqual(m.AsSpan((int)load.Offset, (int)load.FileSize)), $"PT_LOAD at 0x{load.PhysicalAddress:x} differs");
        // And so the whole file, string table included.
        Assert.Equal(q.Length, m.Length);
        Assert.True(q.AsSpan().SequenceEqual(m));
    }
}
