using Qevm.Engine;
using Qevm.Engine.Devices;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Engine;

/// <summary>
/// The sample devices against real QEMU 7.2 x86 device-state files: their sections load into the C# models, and
/// saving the models gives the same section bytes, byte for byte.
/// </summary>
public sealed class DeviceRoundTripTests
{
    private static readonly (string Idstr, uint Instance)[] Sample = [("i8259", 0), ("i8259", 1), ("mc146818rtc", 0), ("i8254", 0)];

    /// <summary>Every x86 device.state of the fixtures and of ../shared/corpus (when present).</summary>
    public static IEnumerable<object[]> X86DeviceStates()
    {
        foreach (var (name, _) in CorpusFiles.Enumerate())
            if (name.EndsWith("/device.state", StringComparison.Ordinal) && name.Split('/')[1].StartsWith("x86-", StringComparison.Ordinal)
                && !name.StartsWith("corpus-qemu10/", StringComparison.Ordinal))
                yield return [name];
    }

    [Fact]
    public void TheCorpusCasesAreThere()
    {
        var names = X86DeviceStates().Select(o => (string)o[0]).ToList();
        Assert.Contains("fixtures/x86-pc/device.state", names);
        if (CorpusFiles.SharedCorpusPresent) Assert.True(names.Count >= 16, string.Join(", ", names));
    }

    [Theory]
    [MemberData(nameof(X86DeviceStates))]
    public void RealSections_LoadIntoTheModels_AndSaveToTheSameBytes(string name)
    {
        var original = CorpusFiles.Bytes(name);
        var machine = new SampleMachine();
        var report = machine.Registry.LoadDeviceState(new MemoryStream(original), new LoadOptions { SkipUnknownSections = true });
        // Stream order is the recording QEMU's registration order (microvm registers the PIT first).
        Assert.Equal(Sample.Order(), report.Loaded.Select(e => (e.Idstr, e.InstanceId)).Order());
        Assert.Equal(StreamInfo.Read(new MemoryStream(original)).Sections.Count - 4, report.Skipped.Count);

        var saved = new MemoryStream();
        machine.Registry.SaveDeviceState(saved);
        var ours = StreamInfo.Read(new MemoryStream(saved.ToArray()));
        var theirs = StreamInfo.Read(new MemoryStream(original));
        Assert.Equal(Sample, ours.Sections.Select(s => (s.Header.Idstr, s.Header.InstanceId)));
        foreach (var s in ours.Sections)
        {
            var q = theirs.Sections.Single(t => t.Header.Idstr == s.Header.Idstr && t.Header.InstanceId == s.Header.InstanceId);
            Assert.Equal(q.Header.VersionId, s.Header.VersionId);
            Assert.Equal(q.PayloadLength, s.PayloadLength);
            Assert.Equal(original.AsSpan((int)q.PayloadOffset, (int)q.PayloadLength).ToArray(),
                saved.ToArray().AsSpan((int)s.PayloadOffset, (int)s.PayloadLength).ToArray());
            Assert.NotNull(s.FooterOffset);
        }
    }

    [Fact]
    public void Fixture_ValuesLandInTheStateMembers()
    {
        var original = CorpusFiles.Bytes("fixtures/x86-pc/device.state");
        var machine = new SampleMachine();
        machine.Registry.LoadDeviceState(new MemoryStream(original), new LoadOptions { SkipUnknownSections = true });
        var info = StreamInfo.Read(new MemoryStream(original));
        var rtc = info.Sections.Single(s => s.Header.Idstr == "mc146818rtc");
        int p = (int)rtc.PayloadOffset;
        Assert.Equal(original.AsSpan(p, 128).ToArray(), machine.Rtc.State.CmosData);
        Assert.Equal(original[p + 128], machine.Rtc.State.CmosIndex);
        // base_rtc: after 128 + 1 + 28 + 8 + 8 + 24 + 4 + 4 bytes.
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(original.AsSpan(p + 205)), machine.Rtc.State.BaseRtc);
        var pic = info.Sections.Single(s => s.Header.Idstr == "i8259" && s.Header.InstanceId == 1);
        Assert.Equal(original[(int)pic.PayloadOffset + 5], machine.Slave.State.IrqBase);
        Assert.Equal(0x70, machine.Slave.State.IrqBase); // SeaBIOS maps the slave PIC's IRQs to vectors 0x70..0x77
        Assert.Equal(0x08, machine.Master.State.IrqBase);
    }

    [Fact]
    public void WithoutTheOption_TheFirstOtherSectionIsRefusedInQemusWords()
    {
        var machine = new SampleMachine();
        var e = Assert.Throws<VmStateFormatException>(() =>
            machine.Registry.LoadDeviceState(new MemoryStream(CorpusFiles.Bytes("fixtures/x86-pc/device.state"))));
        Assert.Equal(VmStateError.UnknownDevice, e.Error);
        Assert.Equal(8, e.Offset);
        Assert.Equal("Unknown savevm section or instance 'timer' 0. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices", e.QemuMessage);
    }

    [Fact]
    public void Trailer_DescribesTheSectionsAsQemu72Does()
    {
        var machine = new SampleMachine();
        var saved = new MemoryStream();
        machine.Registry.SaveDeviceState(saved, new SaveOptions { Trailer = true });
        var info = StreamInfo.Read(new MemoryStream(saved.ToArray()));
        Assert.NotNull(info.Trailer);
        var json = System.Text.Encoding.ASCII.GetString(saved.ToArray(), (int)info.Trailer!.Value.Offset + 5, (int)info.Trailer.Value.Length);
        // The device entries of QEMU 7.2's own trailer for the same devices (tests/fixtures/x86-pc/full.mig).
        var full = CorpusFiles.Bytes("fixtures/x86-pc/full.mig");
        var fullInfo = StreamInfo.Read(new MemoryStream(full));
        var qemu = System.Text.Encoding.ASCII.GetString(full, (int)fullInfo.Trailer!.Value.Offset + 5, (int)fullInfo.Trailer.Value.Length);
        foreach (var entry in new[] { "{\"name\": \"i8259\", \"instance_id\": 1, ", "{\"name\": \"mc146818rtc\", ", "{\"name\": \"i8254\", " })
        {
            int a = json.IndexOf(entry, StringComparison.Ordinal), b = qemu.IndexOf(entry, StringComparison.Ordinal);
            Assert.True(a >= 0 && b >= 0, entry);
            Assert.Equal(EntryAt(qemu, b), EntryAt(json, a));
        }
        Assert.StartsWith("{\"page_size\": 4096, \"devices\": [{\"name\": \"i8259\", \"instance_id\": 0, \"vmsd_name\": \"i8259\", \"version\": 1, \"fields\": [{\"name\": \"last_irr\", \"type\": \"uint8\", \"size\": 1}, ", json, StringComparison.Ordinal);
    }

    // The balanced {...} object starting at i.
    private static string EntryAt(string json, int i)
    {
        int depth = 0;
        for (int j = i; j < json.Length; j++)
        {
            if (json[j] == '{') depth++;
            else if (json[j] == '}' && --depth == 0) return json[i..(j + 1)];
        }
        throw new InvalidOperationException("unbalanced");
    }
}
