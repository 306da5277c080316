using System.Buffers.Binary;
using Qevm.Engine;
using Qevm.Engine.Devices;

namespace Qevm.Tests.Engine;

/// <summary>
/// The engine's loader reads through the stream reader (ISSUE-NOTES, issue 11): the same verdict, offset and QEMU
/// words as <c>check</c>, and QEMU's checks where a device's load and the stream disagree.
/// </summary>
public sealed class LoadvmReaderTests
{
    private static (byte[] Bytes, StreamInfo Info) Saved(bool trailer = false)
    {
        var machine = new SampleMachine();
        var ms = new MemoryStream();
        machine.Registry.SaveDeviceState(ms, new SaveOptions { Trailer = trailer });
        var bytes = ms.ToArray();
        return (bytes, StreamInfo.Read(new MemoryStream(bytes)));
    }

    private static VmStateFormatException Refused(byte[] bytes, LoadOptions? options = null)
    {
        var machine = new SampleMachine();
        machine.Master.State.Imr = 0x33;
        var e = Assert.Throws<VmStateFormatException>(() => machine.Registry.LoadDeviceState(new MemoryStream(bytes), options));
        Assert.Equal(0x33, machine.Master.State.Imr);
        return e;
    }

    [Fact]
    public void CutInsideADevicesData_IsThatDevicesLoadError_AtTheEnd_AsCheckSaysIt()
    {
        var (bytes, info) = Saved(trailer: true);
        var pic = info.Sections[0];
        var cut = bytes[..(int)(pic.PayloadOffset + 5)];
        Trailer description;
        using (var r = new VmStateReader(new MemoryStream(bytes)))
        {
            while (r.Read()) { }
            description = r.OwnTrailer!;
        }
        var e = Refused(cut);
        Assert.Equal(VmStateError.Truncated, e.Error);
        Assert.Equal(cut.Length, e.Offset);
        Assert.Equal("error while loading state for instance 0x0 of device 'i8259'; load of migration failed: Input/output error", e.QemuMessage);
        var c = Assert.Throws<VmStateFormatException>(() => StreamInfo.Read(new MemoryStream(cut), new VmStateReaderOptions { Description = description }));
        Assert.Equal((e.Offset, e.QemuMessage), (c.Offset, c.QemuMessage));
    }

    [Theory]
    [InlineData(3, "Unable to read ID string for section 0")]
    [InlineData(7, "Unable to read ID string for section 1")]
    [InlineData(14, "qemu_loadvm_section_start_full: Failed to read instance/version ID: -5")]
    public void CutInsideASectionHeader_QemusHeaderMessages(int into, string message)
    {
        var (bytes, info) = Saved();
        var e = Refused(bytes[..(int)(info.Sections[1].RecordOffset + into)]);
        Assert.Equal(VmStateError.Truncated, e.Error);
        Assert.Equal(message, e.QemuMessage);
    }

    [Fact]
    public void CutInsideAFooter_QemusFooterCheck()
    {
        var (bytes, info) = Saved();
        var rtc = info.Sections[2];
        long footer = rtc.FooterOffset!.Value;
        Assert.Equal("check_section_footer: Read section footer failed: -5", Refused(bytes[..(int)footer]).QemuMessage);
        // The id's missing bytes read as zeros: 0 is not the RTC's id 2.
        var e = Refused(bytes[..(int)(footer + 3)]);
        Assert.Equal("Mismatched section id in footer for mc146818rtc - read 0x0 expected 0x2", e.QemuMessage);
        Assert.Equal(footer + 1, e.Offset);
        // Section 0's footer passes with a cut id; the next record type cannot be read.
        Assert.Equal("load of migration failed: Input/output error", Refused(bytes[..(int)(info.Sections[0].FooterOffset!.Value + 3)]).QemuMessage);
    }

    [Fact]
    public void ADeviceThatStopsEarly_GetsTheFooterCheckWhereItStopped()
    {
        // mc146818rtc v3 → v2: QEMU loads fewer fields and finds no footer where it stopped.
        var (bytes, info) = Saved();
        var rtc = info.Sections[2];
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan((int)rtc.PayloadOffset - 4), 2);
        var e = Refused(bytes);
        Assert.Equal(VmStateError.BadFooter, e.Error);
        // cmos_data 128, cmos_index 1, unused 28, periodic_timer 8, next_periodic_time 8, unused 24, irq_coalesced 4, period 4.
        Assert.Equal(rtc.PayloadOffset + 205, e.Offset);
        Assert.Equal("Missing section footer for mc146818rtc", e.QemuMessage);
        Assert.Equal($"FULL 2 'mc146818rtc' #0 at 0x{rtc.RecordOffset:x}", e.Record);
    }

    [Fact]
    public void AFileWithoutFooters_GivenToALoaderThatExpectsThem_IsMissingTheFirstFooter()
    {
        var machine = new SampleMachine();
        var ms = new MemoryStream();
        machine.Registry.SaveDeviceState(ms, new SaveOptions { SectionFooters = false });
        var bytes = ms.ToArray();
        var e = Refused(bytes);
        Assert.Equal("Missing section footer for i8259", e.QemuMessage);
        Assert.Equal(8 + 19 + 16, e.Offset);
        new SampleMachine().Registry.LoadDeviceState(new MemoryStream(bytes), new LoadOptions { SectionFooters = false });
        // And a loader that expects none reads a footer's mark as a record type.
        var (withFooters, _) = Saved();
        Assert.Equal("Unknown savevm section type 126", Refused(withFooters, new LoadOptions { SectionFooters = false }).QemuMessage);
    }

    [Fact]
    public void TheConfiguration_IsReadWithTheReadersLimits()
    {
        var (bytes, _) = Saved();
        byte[] config = [0x07, 0, 0, 0x10, 0x01, .. new byte[4097]];
        var e = Refused([.. bytes[..8], .. config, .. bytes[8..]], new LoadOptions { RequireConfiguration = true, MachineType = "pc-i440fx-7.2" });
        Assert.Equal(VmStateError.BadConfiguration, e.Error);
        Assert.Equal(9, e.Offset);
        Assert.Contains("4096", e.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void DamageAfterEof_IsIgnored_AsQemuDropsTheTrailerUnread()
    {
        var (bytes, info) = Saved(trailer: true);
        var machine = new SampleMachine();
        machine.Master.State.Imr = 0x33;
        var cut = bytes[..(int)(info.EofOffset + 30)];
        var report = machine.Registry.LoadDeviceState(new MemoryStream(cut));
        Assert.Empty(report.Warnings);
        Assert.Equal(4, report.Loaded.Count);
        Assert.Equal(0, machine.Master.State.Imr);
        var other = (byte[])bytes.Clone();
        other[info.EofOffset + 1] = 0x41;
        Assert.Equal("Expected vmdescription section, but got 65", Assert.Single(new SampleMachine().Registry.LoadDeviceState(new MemoryStream(other)).Warnings).Message);
    }
}
