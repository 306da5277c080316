namespace Qevm.Tests.Guest;

/// <summary>The comparison of <c>qevm export --format elf</c> with QEMU's <c>dump-guest-memory</c>, shared by the export tests.</summary>
internal static class ElfExportAssert
{
    /// <summary>
    /// <c>qevm export INPUT -o OURS --format elf [ARGS]</c> equals QEMU's <paramref name="elf"/>: ELF header, section
    /// headers, program headers, notes, every PT_LOAD's bytes and so the whole file. Returns the file written.
    /// </summary>
    public static string ExportEquals(string dir, string elf, string mig, ushort expectedMachine = 3, params string[] args)
    {
        var ours = Path.Combine(dir, Path.GetFileName(mig) + "-ours.elf");
        var err = new StringWriter();
        Assert.True(Qevm.Cli.Program.Run(["export", mig, "-o", ours, "--format", "elf", .. args], TextWriter.Null, err) == 0, err.ToString());

        var qemu = ElfCoreFile.Read(elf);
        var mine = ElfCoreFile.Read(ours);
        Assert.Equal(qemu.Header, mine.Header);
        Assert.Equal(expectedMachine, mine.Machine); // EM_386 (3) but for a guest in long mode: EM_X86_64 (62)
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
        return ours;
    }
}
