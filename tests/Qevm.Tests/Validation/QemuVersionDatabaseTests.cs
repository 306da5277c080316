namespace Qevm.Tests.Validation;

/// <summary>The built-in database of QEMU versions: what it holds, how targets are named and resolved.</summary>
public sealed class QemuVersionDatabaseTests
{
    private static QemuVersionDatabase Db => QemuVersionDatabase.BuiltIn;

    [Fact]
    public void HoldsTheFourVersions_WithPcQ35AndVirtAliasesOfTheNewest()
    {
        Assert.Equal(["5.2", "7.2", "10.0", "11.1"], Db.Versions.Select(v => v.Version));
        foreach (var v in Db.Versions)
        {
            Assert.Equal("pc-i440fx-" + v.Version, v.Aliases["pc"]);
            Assert.Equal("pc-q35-" + v.Version, v.Aliases["q35"]);
            Assert.Equal("virt-" + v.Version, v.Aliases["virt"]);
            Assert.Equal(["pc"], v.Machine("pc")!.Aliases);
            Assert.Equal("aarch64", v.Machine("virt")!.Architecture);
            Assert.StartsWith("QEMU emulator version " + v.Version + ".", v.Build, StringComparison.Ordinal);
            // Every version knows pc-i440fx-5.2 and pc-q35-5.2 (issue 17).
            Assert.NotNull(v.Machine("pc-i440fx-5.2"));
            Assert.NotNull(v.Machine("pc-q35-5.2"));
            Assert.All(v.Machines, m => Assert.Matches(m.Architecture == "x86_64" ? @"^pc-(i440fx|q35)-\d+\.\d+(\.\d+)?$" : @"^virt-\d+\.\d+$", m.Name));
        }
    }

    [Fact]
    public void MachineType_HasItsRamBlocksSectionsAndDescriptions()
    {
        var m = Db.FindVersion("7.2")!.Machine("pc-i440fx-7.2")!;
        // The default devices' blocks, with 128 MiB of RAM: pc.ram is -m's, /rom@ blocks are resizeable.
        Assert.Equal(new TargetRamBlock("pc.ram", 128 << 20, RamBlockSizing.Memory), m.RamBlocks[0]);
        Assert.Contains(new TargetRamBlock("pc.bios", 256 << 10, RamBlockSizing.Fixed), m.RamBlocks);
        Assert.Contains(m.RamBlocks, b => b.Name == "0000:00:03.0/e1000.rom" && b.Sizing == RamBlockSizing.Fixed);
        Assert.Contains(m.RamBlocks, b => b.Name == "/rom@etc/acpi/tables" && b.Sizing == RamBlockSizing.Resizeable);
        Assert.Equal(new TargetSection("ram", 0, 4), m.Sections.First(s => s.Idstr == "ram"));
        Assert.Contains(new TargetSection("mc146818rtc", 0, 3), m.Sections);
        Assert.Equal((3u, (uint?)1u, "mc146818rtc"), m.Schema.Versions("mc146818rtc"));
        Assert.Equal("pc-i440fx-7.2", m.Schema.Machine);
        Assert.Equal("qemu-7.2:pc-i440fx-7.2", m.Schema.SourceName);
    }

    [Fact]
    public void ArmVirt_HasItsFlashAndRam()
    {
        var m = Db.FindVersion("10.0")!.Machine("virt")!;
        Assert.Equal(("virt-10.0", "aarch64"), (m.Name, m.Architecture));
        Assert.Equal(new TargetRamBlock("mach-virt.ram", 128 << 20, RamBlockSizing.Memory), m.RamBlocks[0]);
        Assert.Contains(new TargetRamBlock("virt.flash0", 64 << 20, RamBlockSizing.Fixed), m.RamBlocks);
        Assert.Contains(m.Sections, s => s.Idstr == "cpu" && s.Instance == 0);
        Assert.Equal("virt-10.0", m.Schema.Machine);
    }

    [Fact]
    public void Resolve_NamesVersionAndMachine_AliasesAsQemuDoes()
    {
        var t = Db.Resolve("qemu-10.0:pc-i440fx-7.2");
        Assert.Equal(("qemu-10.0:pc-i440fx-7.2", "pc-i440fx-7.2", "10.0", "QEMU version database"), (t.Name, t.Machine, t.QemuVersion, t.Kind));
        Assert.True(t.ListsSections);
        Assert.NotNull(t.Dump);
        Assert.NotNull(t.RamBlocks);
        Assert.Null(t.StartRefusal);
        Assert.Equal("pc-q35-11.1", Db.Resolve("qemu-11.1:q35").Machine);
        // Without a machine in the name, the one given (the stream's own) is taken.
        Assert.Equal("pc-q35-5.2", Db.Resolve("qemu-7.2", "pc-q35-5.2").Machine);
        Assert.Throws<ArgumentException>(() => Db.Resolve("qemu-7.2"));
        Assert.Throws<ArgumentException>(() => Db.Resolve("qemu-6.0:pc"));
        Assert.True(QemuVersionDatabase.IsSpec("qemu-10.0"));
        Assert.True(QemuVersionDatabase.IsSpec("qemu-10.0:pc-q35-5.2"));
        Assert.False(QemuVersionDatabase.IsSpec("qemu-dump.json"));
        Assert.False(QemuVersionDatabase.IsSpec("target.mig"));
        // One lookup, one message, with or without the qemu- prefix.
        Assert.Same(Db.FindVersion("7.2"), Db.GetVersion("qemu-7.2"));
        Assert.Equal("QEMU 6.0 is not in the database (it has 5.2, 7.2, 10.0, 11.1) (Parameter 'version')",
            Assert.Throws<ArgumentException>(() => Db.GetVersion("qemu-6.0")).Message);
        Assert.Equal(Assert.Throws<ArgumentException>(() => Db.GetVersion("6.0")).Message,
            Assert.Throws<ArgumentException>(() => Db.Machines("qemu-6.0")).Message);
    }

    [Fact]
    public void MachineTypeTheVersionLacks_IsRefusedInThatVersionsWords()
    {
        // Measured (scripts/build-version-db.sh records them): 7.2 prints the bare words, 5.2 names the option, 10.0 and 11.1 the name.
        Assert.Equal("unsupported machine type", Db.Resolve("qemu-7.2:pc-i440fx-10.0").StartRefusal);
        Assert.Equal("unsupported machine type: \"pc-i440fx-2.0\"", Db.Resolve("qemu-11.1:pc-i440fx-2.0").StartRefusal);
        var info = StreamInfo.Read(File.OpenRead(Path.Combine(Corpus.CorpusFiles.FixturesDir, "x86-pc/full.mig")));
        var verdict = TargetCheck.Verdict(info, Db.Resolve("qemu-5.2", "pc-i440fx-7.2"));
        Assert.Equal([new TargetFinding(0, "QEMU start", "-M pc-i440fx-7.2: unsupported machine type")], verdict.Findings);
    }

    [Fact]
    public void Database_IsSmall_AndDeduplicated()
    {
        using var s = typeof(QemuVersionDatabase).Assembly.GetManifestResourceStream(QemuVersionDatabase.ResourceName)!;
        Assert.InRange(s.Length, 1, 1 << 20);
        int machines = Db.Versions.Sum(v => v.Machines.Count);
        Assert.InRange(machines, 250, 300);
        // Rebuilt -dump-vmstate output parses as QEMU's does, through the one -dump-vmstate parser.
        var m = Db.FindVersion("11.1")!.Machine("pc")!;
        var again = DumpVmStateSchema.Parse(m.DumpVmStateJson());
        Assert.Equal("pc-i440fx-11.1", again.Machine);
        Assert.Equal(m.Schema.Versions("mc146818rtc"), again.Versions("mc146818rtc"));
    }

    [Fact]
    public void Builder_MalformedInput_IsAFormatErrorNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("qevm-db-").FullName;
        try
        {
            var v = Directory.CreateDirectory(Path.Combine(dir, "1.0")).FullName;
            // pc-i440fx-1..2 is no version: left out (it used to reach Version.Parse, a FormatException).
            File.WriteAllText(Path.Combine(v, "machine-help-x86_64.txt"), "pc-i440fx-1.0  Standard PC\npc-i440fx-1..2  not a version\n");
            File.WriteAllText(Path.Combine(v, "qemu-version-x86_64.txt"), "QEMU emulator version 1.0\n");
            foreach (var m in new[] { "pc-i440fx-1.0", "pc-i440fx-1..2" })
            {
                File.WriteAllText(Path.Combine(v, m + ".json"), "{\"a\":");
                File.WriteAllText(Path.Combine(v, m + ".mig"), "xx");
            }
            var e = Assert.Throws<VmStateFormatException>(() => QemuVersionDatabaseBuilder.Build(dir, Stream.Null));
            Assert.Equal($"$: expected -dump-vmstate output in {Path.Combine(v, "pc-i440fx-1.0.json")}, found no valid JSON at line 1, byte 6", e.Message);

            File.WriteAllText(Path.Combine(v, "pc-i440fx-1.0.json"), "[1]");
            e = Assert.Throws<VmStateFormatException>(() => QemuVersionDatabaseBuilder.Build(dir, Stream.Null));
            Assert.Equal("$: expected an object, found an array", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
