using static Qevm.Tests.Wire.WireBytes;

namespace Qevm.Tests.Wire;

/// <summary>The configuration section (FORMAT.md §14).</summary>
public class ConfigurationTests
{
    [Fact]
    public void MachineOnly()
    {
        // §14.1 Verified (10.0 -M pc): 07 0000000E "pc-i440fx-10.0".
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* CONFIGURATION */ 0x07, /* be32 len 14 */ 0x00, 0x00, 0x00, 0x0E)
            .At(13).Add(/* machine */ "pc-i440fx-10.0"u8.ToArray())
            .At(27).Add(/* EOF */ 0x00)
            .ToArray();
        using var r = WireReader.Open(data);
        var recs = WireReader.ReadAll(r);
        Assert.Equal([RecordType.FileHeader, RecordType.Configuration, RecordType.Eof], WireReader.Types(recs));
        Assert.Equal(8, recs[1].RecordOffset);
        Assert.Equal(9, recs[1].PayloadOffset);
        Assert.Equal(18, recs[1].PayloadLength);
        var c = r.Configuration!;
        Assert.Equal("pc-i440fx-10.0", c.Machine);
        Assert.Null(c.TargetPageBits);
        Assert.Null(c.Capabilities);
        Assert.Null(c.Uuid);
        Assert.Empty(c.SubsectionOrder);
        Assert.Equal(0, r.PageSize);
        Assert.Equal(27, recs[2].RecordOffset);

        var info = StreamInfo.Read(new MemoryStream(data));
        Assert.Equal(StreamKind.Migration, info.Kind);
        Assert.Equal(8, info.ConfigurationOffset);
        Assert.Equal(18, info.ConfigurationLength);
        WireReader.AssertCopyIdentical(data);
    }

    [Theory]
    [InlineData(10, 1024)]
    [InlineData(12, 4096)]
    [InlineData(16, 65536)]
    public void TargetPageBits_SetsThePageSize(byte bits, int pageSize)
    {
        // §14.1 Verified (7.2 ARM virt): 07 00000008 "virt-7.2" 05 1E "configuration/target-page-bits" 00000001 0000000C.
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* CONFIGURATION */ 0x07, /* be32 len 8 */ 0x00, 0x00, 0x00, 0x08).Add(/* machine */ "virt-7.2"u8.ToArray())
            .At(21).Add(/* SUBSECTION */ 0x05).Add(/* name */ Str8("configuration/target-page-bits"))
            .At(53).Add(/* version 1 */ 0x00, 0x00, 0x00, 0x01, /* be32 target_page_bits */ 0x00, 0x00, 0x00, bits)
            .At(61).Add(/* EOF */ 0x00)
            .ToArray();
        using var r = WireReader.Open(data);
        var recs = WireReader.ReadAll(r);
        Assert.Equal(52, recs[1].PayloadLength);
        Assert.Equal("virt-7.2", r.Configuration!.Machine);
        Assert.Equal(bits, r.Configuration.TargetPageBits);
        Assert.Equal(pageSize, r.PageSize);
        Assert.Equal(PageSizeSource.Configuration, r.PageSizeSource);
        Assert.Equal([("configuration/target-page-bits", 1u)], r.Configuration.SubsectionOrder);
        Assert.Equal(61, recs[2].RecordOffset);
        WireReader.AssertCopyIdentical(data);
    }

    // §14.2: all three subsections, in the writer's order.
    private static byte[] AllSubsections() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* CONFIGURATION */ 0x07, /* be32 len 14 */ 0x00, 0x00, 0x00, 0x0E).Add(/* machine */ "pc-i440fx-10.0"u8.ToArray())
        .At(27).Add(/* SUBSECTION */ 0x05).Add(/* name */ Str8("configuration/target-page-bits"))
        .Add(/* version 1 */ 0x00, 0x00, 0x00, 0x01, /* bits 12 */ 0x00, 0x00, 0x00, 0x0C)
        .At(67).Add(/* SUBSECTION */ 0x05).Add(/* name */ Str8("configuration/capabilities"))
        .Add(/* version 1 */ 0x00, 0x00, 0x00, 0x01, /* be32 caps_count 2 */ 0x00, 0x00, 0x00, 0x02)
        .At(103).Add(/* capability */ Str8("x-ignore-shared")).Add(/* capability */ Str8("mapped-ram"))
        .At(130).Add(/* SUBSECTION */ 0x05).Add(/* name */ Str8("configuration/uuid")).Add(/* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(154).Add(/* uuid */ 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88)
        .At(170).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void CapabilitiesAndUuid_AreRead()
    {
        // §14.2 Verified: capabilities are str8 names; the uuid is 16 bytes in RFC 4122 order.
        using var r = WireReader.Open(AllSubsections());
        var recs = WireReader.ReadAll(r);
        var c = r.Configuration!;
        Assert.Equal(12u, c.TargetPageBits);
        Assert.Equal(["x-ignore-shared", "mapped-ram"], c.Capabilities!);
        Assert.Equal("123456789ABCDEF01122334455667788", Convert.ToHexString(c.Uuid!));
        Assert.Equal("12345678-9abc-def0-1122-334455667788", c.UuidText);
        Assert.Equal(
            [("configuration/target-page-bits", 1u), ("configuration/capabilities", 1u), ("configuration/uuid", 1u)],
            c.SubsectionOrder);
        Assert.Equal(9, recs[1].PayloadOffset);
        Assert.Equal(161, recs[1].PayloadLength);
        Assert.Equal(170, recs[2].RecordOffset);
    }

    [Fact]
    public void CapabilitiesAndUuid_CopyIsIdentical() => WireReader.AssertCopyIdentical(AllSubsections());

    [Fact]
    public void Writer_CanonicalOrder_MatchesTheCraftedBytes()
    {
        // §14.1: the writer emits target-page-bits, capabilities, uuid in this order.
        var config = new ConfigurationSection
        {
            Machine = "pc-i440fx-10.0",
            TargetPageBits = 12,
            Capabilities = ["x-ignore-shared", "mapped-ram"],
            Uuid = Convert.FromHexString("123456789ABCDEF01122334455667788"),
        };
        using var ms = new MemoryStream();
        using (var w = new VmStateWriter(ms, leaveOpen: true))
        {
            w.WriteHeader();
            w.WriteConfiguration(config);
            w.WriteEof();
        }
        Assert.Equal(Convert.ToHexString(AllSubsections()), Convert.ToHexString(ms.ToArray()));
    }

    [Fact]
    public void UnknownSubsectionWithConfigurationPrefix_IsNoSuchFile()
    {
        // §8.2 step 5: a name starting with "configuration" that is not a known subsection → -ENOENT with
        // no message of its own; the outer wrapper prints "load of migration failed: No such file or directory" (§17.1).
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* CONFIGURATION */ 0x07, /* be32 len 2 */ 0x00, 0x00, 0x00, 0x02, (byte)'p', (byte)'c')
            .At(15).Add(/* SUBSECTION */ 0x05).Add(/* name */ Str8("configuration/bogus"))
            .Add(/* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .Add(/* EOF */ 0x00)
            .ToArray();
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadConfiguration, e.Error);
        Assert.Equal(15, e.Offset);
        Assert.Equal("load of migration failed: No such file or directory", e.QemuMessage);
    }

    [Fact]
    public void SubsectionWithForeignName_EndsTheSectionAndIsUnknownSectionType5()
    {
        // §8.2 step 4: a name not starting with "configuration" stops the subsection loop; the main loop
        // then reads the 0x05 byte: "Unknown savevm section type 5" (§4.1).
        byte[] data = new StreamBuilder()
            .At(0).Add(Header)
            .At(8).Add(/* CONFIGURATION */ 0x07, /* be32 len 2 */ 0x00, 0x00, 0x00, 0x02, (byte)'p', (byte)'c')
            .At(15).Add(/* SUBSECTION */ 0x05).Add(/* name */ Str8("timer/foo"))
            .Add(/* version 1 */ 0x00, 0x00, 0x00, 0x01)
            .Add(/* EOF */ 0x00)
            .ToArray();
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(15, e.Offset);
        Assert.Equal("Unknown savevm section type 5", e.QemuMessage);
    }
}
