using Qevm.Engine;

namespace Qevm.Tests.Engine;

#pragma warning disable CA1051
public sealed class TestState : IDeviceState<TestState>
{
    public uint A;
    public ushort B;
    public byte N;
    public uint[] Items = [];
    public byte[] Buf = new byte[4];
    public Inner In = new();
    public ushort Extra;
    public int PostLoads;

    public TestState Clone()
    {
        var c = (TestState)MemberwiseClone();
        c.Items = (uint[])Items.Clone();
        c.Buf = (byte[])Buf.Clone();
        c.In = new Inner { X = In.X };
        return c;
    }
}

public sealed class Inner
{
    public short X;
}

public sealed class HolderState : IDeviceState<HolderState>
{
    public byte Flag;
    public ushort Opt;

    public HolderState Clone() => (HolderState)MemberwiseClone();
}

public sealed class Holder
{
    public byte Flag;
    public ushort Opt;
    public Inner[] Items = [];
}
#pragma warning restore CA1051

/// <summary>The engine on a small device declared in the tests: wire bytes, versions, subsections, hooks, atomic loads.</summary>
public sealed class EngineTests
{
    private static readonly Vmsd<Inner> InnerVmsd = VmState.Describe<Inner>("inner", 1).Field("x", static (Inner i) => ref i.X).Build();

    private static readonly Vmsd<TestState> Extra = VmState.Describe<TestState>("test/extra", 1, 1)
        .Needed(static s => s.Extra != 0)
        .Field("extra", static (TestState s) => ref s.Extra)
        .Build();

    private static Vmsd<TestState> Describe(Action<TestState, int>? postLoad = null) => VmState.Describe<TestState>("test", version: 3, minimumVersion: 1)
        .Field("a", static (TestState s) => ref s.A)
        .Field("b", static (TestState s) => ref s.B, since: 2)
        .Field("n", static (TestState s) => ref s.N)
        .VarArray("items", static s => ref s.Items, countField: "n")
        .Buffer("buf", static s => ref s.Buf, 4)
        .Unused(2)
        .Struct("in", static s => s.In, InnerVmsd)
        .Subsection(Extra)
        .PostLoad(postLoad ?? (static (s, v) => s.PostLoads++))
        .Build();

    private static (SaveStateRegistry Registry, VmStateDevice<TestState> Device) Machine(Action<TestState, int>? postLoad = null)
    {
        var registry = new SaveStateRegistry();
        var device = new VmStateDevice<TestState>(Describe(postLoad), new TestState { A = 0x11223344, B = 0x5566, N = 2, Items = [7, 8], Buf = [1, 2, 3, 4], In = new Inner { X = -2 } });
        registry.Register(device);
        return (registry, device);
    }

    private static readonly byte[] Header = [0x51, 0x45, 0x56, 0x4D, 0, 0, 0, 3];

    // FULL section 0 'test' #0 with the given version, then the data, then the footer of section 0.
    private static byte[] Section(uint version, byte[] data, uint id = 0, string idstr = "test", uint instance = 0) =>
    [
        0x04, .. Be32(id), (byte)idstr.Length, .. System.Text.Encoding.ASCII.GetBytes(idstr), .. Be32(instance), .. Be32(version),
        .. data,
        0x7E, .. Be32(id),
    ];

    private static byte[] Be32(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    private static readonly byte[] V3Data =
    [
        /* a */ 0x11, 0x22, 0x33, 0x44,
        /* b */ 0x55, 0x66,
        /* n */ 0x02,
        /* items[2] */ 0, 0, 0, 7, 0, 0, 0, 8,
        /* buf */ 1, 2, 3, 4,
        /* unused */ 0, 0,
        /* in.x */ 0xFF, 0xFE,
    ];

    [Fact]
    public void Save_WritesHeaderSectionFooterEof()
    {
        var (registry, _) = Machine();
        var ms = new MemoryStream();
        registry.SaveDeviceState(ms);
        Assert.Equal([.. Header, .. Section(3, V3Data), 0x00], ms.ToArray());
    }

    [Fact]
    public void Save_NeededSubsectionFollowsTheFields()
    {
        var (registry, device) = Machine();
        device.State.Extra = 0x0102;
        var ms = new MemoryStream();
        registry.SaveDeviceState(ms, new SaveOptions { SectionFooters = false });
        byte[] sub = [0x05, 10, .. "test/extra"u8, 0, 0, 0, 1, /* extra */ 0x01, 0x02];
        byte[] section = Section(3, [.. V3Data, .. sub]);
        Assert.Equal([.. Header, .. section[..^5], 0x00], ms.ToArray());
    }

    [Fact]
    public void Load_V3_WithSubsection_SetsEveryMember_AndRunsPostLoad()
    {
        var (registry, device) = Machine();
        byte[] data = [0, 0, 0, 9, 0, 10, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9, 0xAA, 0xBB, 0, 5, 0x05, 10, .. "test/extra"u8, 0, 0, 0, 1, 0x12, 0x34];
        var report = registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(3, data), 0x00]));
        var s = device.State;
        Assert.Equal((9u, (ushort)10, (byte)3), (s.A, s.B, s.N));
        Assert.Equal([1u, 2u, 3u], s.Items);
        Assert.Equal([9, 9, 9, 9], s.Buf);
        Assert.Equal(5, s.In.X);
        Assert.Equal(0x1234, s.Extra);
        Assert.Equal(1, s.PostLoads);
        Assert.Equal("Expected vmdescription section, but got 0", Assert.Single(report.Warnings).Message);
    }

    [Fact]
    public void Load_OlderVersion_LeavesNewerFieldsAsTheyWere()
    {
        var (registry, device) = Machine();
        byte[] v1 = [/* a */ 0, 0, 0, 9, /* no b; n */ 0, /* buf */ 0, 0, 0, 0, /* unused */ 0, 0, /* in.x */ 0, 0];
        registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(1, v1), 0x00]));
        Assert.Equal(9u, device.State.A);
        Assert.Equal(0x5566, device.State.B);
        Assert.Empty(device.State.Items.Take(device.State.N));
    }

    [Fact]
    public void Load_VersionAboveTheDescriptions_QemuMessage()
    {
        var (registry, _) = Machine();
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(4, V3Data), 0x00])));
        Assert.Equal(VmStateError.UnsupportedDescriptionVersion, e.Error);
        Assert.Equal("savevm: unsupported version 4 for 'test' v3", e.QemuMessage);
        Assert.Equal(8, e.Offset);
    }

    [Fact]
    public void Load_VersionBelowTheMinimum_QemuMessage()
    {
        var (registry, _) = Machine();
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(0, V3Data), 0x00])));
        Assert.Equal(VmStateError.UnsupportedDescriptionVersion, e.Error);
        Assert.Equal("test: incoming version_id 0 is too old for local minimum version_id  1; error while loading state for instance 0x0 of device 'test'", e.QemuMessage);
    }

    [Fact]
    public void Load_UnknownSubsection_IsAnError_NamingIt()
    {
        var (registry, _) = Machine();
        byte[] sub = [0x05, 10, .. "test/bogus"u8, 0, 0, 0, 1, 0x01, 0x02];
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(3, [.. V3Data, .. sub]), 0x00])));
        Assert.Equal(VmStateError.UnknownSubsection, e.Error);
        Assert.Equal(8 + 18 + V3Data.Length, e.Offset);
        Assert.Contains("'test/bogus'", e.Message, StringComparison.Ordinal);
        Assert.Equal("error while loading state for instance 0x0 of device 'test'", e.QemuMessage);
    }

    [Fact]
    public void Load_SubsectionOfAnotherPrefix_EndsThePeek_AndTheFooterCheckFails()
    {
        var (registry, _) = Machine();
        byte[] sub = [0x05, 10, .. "other/xyzw"u8, 0, 0, 0, 1];
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(3, [.. V3Data, .. sub]), 0x00])));
        Assert.Equal(VmStateError.BadFooter, e.Error);
        Assert.Equal("Missing section footer for test", e.QemuMessage);
    }

    [Fact]
    public void Load_SubsectionTooNew_QemuMessage()
    {
        var (registry, _) = Machine();
        byte[] sub = [0x05, 10, .. "test/extra"u8, 0, 0, 0, 2, 0x01, 0x02];
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(3, [.. V3Data, .. sub]), 0x00])));
        Assert.Equal("test/extra: incoming version_id 2 is too new for local version_id 1; error while loading state for instance 0x0 of device 'test'", e.QemuMessage);
    }

    [Fact]
    public void Load_FooterWithAnotherId_QemuMessage()
    {
        var (registry, _) = Machine();
        var bytes = (byte[])[.. Header, .. Section(3, V3Data), 0x00];
        bytes[^2] = 0x09;
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream(bytes)));
        Assert.Equal("Mismatched section id in footer for test - read 0x9 expected 0x0", e.QemuMessage);
    }

    [Theory]
    [InlineData(new byte[] { 0x51, 0x45, 0x56, 0x4E, 0, 0, 0, 3, 0 }, "Not a migration stream")]
    [InlineData(new byte[] { 0x51, 0x45, 0x56, 0x4D, 0, 0, 0, 2, 0 }, "SaveVM v2 format is obsolete and don't work anymore")]
    [InlineData(new byte[] { 0x51, 0x45, 0x56, 0x4D, 0, 0, 0, 4, 0 }, "Unsupported migration stream version")]
    [InlineData(new byte[] { 0x51, 0x45, 0x56, 0x4D, 0, 0, 0, 3, 0x09 }, "Unknown savevm section type 9")]
    [InlineData(new byte[] { 0x51, 0x45, 0x56, 0x4D, 0, 0, 0, 3, 0x03, 0, 0, 0, 5 }, "Unknown savevm section 5")]
    public void Load_HeaderAndRecordErrors_QemuMessages(byte[] bytes, string message)
    {
        var (registry, _) = Machine();
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream(bytes)));
        Assert.Equal(message, e.QemuMessage);
    }

    [Fact]
    public void Load_ConfigurationRequired_MissingOrOtherMachine()
    {
        var (registry, _) = Machine();
        var options = new LoadOptions { RequireConfiguration = true, MachineType = "pc-i440fx-7.2" };
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(3, V3Data), 0x00]), options));
        Assert.Equal("Configuration section missing", e.QemuMessage);
        byte[] config = [0x07, 0, 0, 0, 13, .. "pc-i440fx-7.1"u8];
        e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. config, .. Section(3, V3Data), 0x00]), options));
        Assert.Equal("Machine type received is 'pc-i440fx-7.1' and local is 'pc-i440fx-7.2'", e.QemuMessage);
        config[^1] = (byte)'2';
        registry.LoadDeviceState(new MemoryStream([.. Header, .. config, .. Section(3, V3Data), 0x00]), options);
    }

    [Fact]
    public void Load_ErrorInALaterSection_LeavesEveryDeviceAsItWas()
    {
        var (registry, device) = Machine();
        var second = new VmStateDevice<TestState>(Describe(), new TestState { A = 1 });
        Assert.Equal(1u, registry.Register(second).InstanceId);
        byte[] first = [0, 0, 0, 9, 0, 10, 0, 9, 9, 9, 9, 0, 0, 0, 5];
        byte[] bad = [0, 0, 0, 9, 0, 10, 0, 9, 9, 9, 9, 0, 0, 0, 5, 0xEE]; // one byte too many: no footer where expected
        var bytes = (byte[])[.. Header, .. Section(3, first), .. Section(3, bad, id: 1, instance: 1), 0x00];
        var before = device.State;
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream(bytes)));
        Assert.Equal("Missing section footer for test", e.QemuMessage);
        Assert.Same(before, device.State);
        Assert.Equal(0x11223344u, device.State.A);
        Assert.Equal(0, device.State.PostLoads);
        Assert.Equal(1u, second.State.A);
    }

    [Fact]
    public void Load_PostLoadRefusal_FailsTheLoad_AndNothingChanges()
    {
        var (registry, device) = Machine(static (s, v) =>
        {
            if (s.A == 0) throw new InvalidDataException("a must not be zero");
        });
        byte[] data = [0, 0, 0, 0, 0, 10, 0, 9, 9, 9, 9, 0, 0, 0, 5];
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(3, data), 0x00])));
        Assert.Equal(VmStateError.LoadRefused, e.Error);
        Assert.Equal("a must not be zero; error while loading state for instance 0x0 of device 'test'", e.QemuMessage);
        Assert.Equal(0x11223344u, device.State.A);
    }

    [Fact]
    public void Load_Truncated_IsAnError_AndNothingChanges()
    {
        var (registry, device) = Machine();
        var bytes = (byte[])[.. Header, .. Section(3, V3Data), 0x00];
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream(bytes[..30])));
        Assert.Equal(VmStateError.Truncated, e.Error);
        Assert.Equal(2u, (uint)device.State.N);
    }

    [Fact]
    public void Registry_InstanceIdsPerIdstr_SectionIdsAtRegistration_PriorityOrder()
    {
        var registry = new SaveStateRegistry();
        VmStateDevice<TestState> Make(int priority = 0) =>
            new(VmState.Describe<TestState>("test", 1).Priority(priority).Field("a", static (TestState s) => ref s.A).Build(), new TestState());
        var a = registry.Register(Make());
        var b = registry.Register(Make());
        var other = registry.Register(Make(), idstr: "other");
        var explicitFive = registry.Register(Make(), instanceId: 5);
        var afterFive = registry.Register(Make());
        var early = registry.Register(Make(priority: 2), idstr: "early");
        Assert.Equal((0u, 1u, 0u, 5u, 6u), (a.InstanceId, b.InstanceId, other.InstanceId, explicitFive.InstanceId, afterFive.InstanceId));
        Assert.Equal([0u, 1u, 2u, 3u, 4u, 5u], new[] { a, b, other, explicitFive, afterFive, early }.Select(e => e.SectionId));
        Assert.Equal([early, a, b, other, explicitFive, afterFive], registry.Entries);
        var dup = Assert.Throws<ArgumentException>(() => registry.Register(Make(), instanceId: 1));
        Assert.Contains("Detected duplicate SaveStateEntry: id=test, instance_id=0x1", dup.Message, StringComparison.Ordinal);
        Assert.Same(b, registry.Find("test", 1));
        Assert.Null(registry.Find("test", 2));
    }

    [Fact]
    public void Registry_FindsByLegacyAlias()
    {
        var registry = new SaveStateRegistry();
        var entry = registry.Register(new Qevm.Engine.Devices.I8259(0xA0), aliasId: 0xA0);
        Assert.Same(entry, registry.Find("i8259", 0xA0));
        Assert.Same(entry, registry.Find("i8259", 0));
    }

    [Fact]
    public void NotNeededDevice_WritesNoSection()
    {
        var registry = new SaveStateRegistry();
        registry.Register(new VmStateDevice<TestState>(VmState.Describe<TestState>("test", 1).Needed(static s => s.A != 0).Field("a", static (TestState s) => ref s.A).Build(), new TestState()));
        var ms = new MemoryStream();
        registry.SaveDeviceState(ms);
        Assert.Equal([.. Header, 0x00], ms.ToArray());
    }

    [Fact]
    public void Describe_GivesTheSharedSchemaModel_ThatDecodesTheSavedBytes()
    {
        var (registry, device) = Machine();
        device.State.Extra = 3;
        var d = device.Describe();
        Assert.Equal(["a", "b", "n", "items", "buf", "unused", "in"], d.Fields.Select(f => f.Name));
        Assert.Equal(ElementCount.FromField("n"), d.Fields[3].Count);
        Assert.Equal([0, 2, 0, 0, 0, 0, 0], d.Fields.Select(f => f.VersionId));
        Assert.Equal("test/extra", Assert.Single(d.Subsections).Name);
        Assert.Equal(1, d.MinimumVersionId);
        var data = device.Vmsd.Save(device.State);
        var decoded = VmStateCodec.Decode(d, data, 0);
        Assert.Equal(0x11223344ul, ((VmScalar)decoded["a"]!).Bits);
        Assert.Equal(data, VmStateCodec.Encode(decoded));
    }

    [Fact]
    public void Configuration_SavedAndRequiredOnLoad()
    {
        var (registry, device) = Machine();
        var ms = new MemoryStream();
        registry.SaveDeviceState(ms, new SaveOptions { Configuration = new ConfigurationSection { Machine = "pc-i440fx-7.2" } });
        var bytes = ms.ToArray();
        Assert.Equal([0x07, 0, 0, 0, 13, .. "pc-i440fx-7.2"u8, 0x04], bytes[8..27]);
        device.State.A = 0;
        registry.LoadDeviceState(new MemoryStream(bytes), new LoadOptions { RequireConfiguration = true, MachineType = "pc-i440fx-7.2" });
        Assert.Equal(0x11223344u, device.State.A);
        // A loader that does not expect it stops at its 0x07 byte.
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream(bytes)));
        Assert.Equal("Unknown savevm section type 7", e.QemuMessage);
    }

    [Fact]
    public void FieldExists_DecidesAlone_AndStructArraysWithSubsectionsAreDescribedPerElement()
    {
        var sub = VmState.Describe<Inner>("inner/sub", 1).Needed(static i => i.X < 0).Field("x2", static (Inner i) => ref i.X).Build();
        var inner = VmState.Describe<Inner>("inner", 1).Field("x", static (Inner i) => ref i.X).Subsection(sub).Build();
        var vmsd = VmState.Describe<Holder>("holder", 1)
            .Field("flag", static (Holder h) => ref h.Flag)
            .Field("opt", static (Holder h) => ref h.Opt, since: 99, exists: static (h, v) => h.Flag != 0)
            .StructArray("items", static h => h.Items, 2, inner)
            .Build();
        var state = new Holder { Flag = 1, Opt = 0x0A0B, Items = [new Inner { X = 1 }, new Inner { X = -1 }] };
        Assert.Equal([/* flag */ 1, /* opt */ 0x0A, 0x0B, /* items[0].x */ 0, 1, /* items[1].x */ 0xFF, 0xFF, 0x05, 9, .. "inner/sub"u8, 0, 0, 0, 1, 0xFF, 0xFF], vmsd.Save(state));
        // The trailer a save writes describes the struct array per element (vmsd_can_compress).
        var d = TrailerOf(vmsd.Description, state);
        Assert.Equal(["flag", "opt", "items", "items"], d.Fields.Select(f => f.Name));
        Assert.Empty(d.Fields[2].Struct!.Subsections);
        Assert.Equal("inner/sub", Assert.Single(d.Fields[3].Struct!.Subsections).Name);

        var loaded = new Holder { Items = [new Inner(), new Inner()] };
        Assert.Equal(5, vmsd.Load(loaded, new byte[] { 0, 0, 7, 0, 8 }, 0, 1));
        Assert.Equal((0, (ushort)0, (short)7, (short)8), (loaded.Flag, loaded.Opt, loaded.Items[0].X, loaded.Items[1].X));
    }

    [Fact]
    public void EqualField_MustMatchTheLocalValue()
    {
        var registry = new SaveStateRegistry();
        var device = new VmStateDevice<HolderState>(VmState.Describe<HolderState>("holder", 1)
            .Equal("flag", static (HolderState h) => ref h.Flag).Field("opt", static (HolderState h) => ref h.Opt).Build(), new HolderState { Flag = 3, Opt = 1 });
        registry.Register(device);
        registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(1, [3, 0, 9], idstr: "holder"), 0x00]));
        Assert.Equal(9, device.State.Opt);
        var e = Assert.Throws<VmStateFormatException>(() => registry.LoadDeviceState(new MemoryStream([.. Header, .. Section(1, [4, 0, 7], idstr: "holder"), 0x00])));
        Assert.Equal(VmStateError.LoadRefused, e.Error);
        Assert.Equal("3 != 4; Failed to load holder:flag; error while loading state for instance 0x0 of device 'holder'", e.QemuMessage);
        Assert.Equal(9, device.State.Opt);
        Assert.Contains("\"type\": \"uint8 equal\"", System.Text.Encoding.ASCII.GetString(Trailer(registry)), StringComparison.Ordinal);
    }

    [Fact]
    public void Register_WithABusPath_IdstrIsPathSlashName()
    {
        var registry = new SaveStateRegistry();
        var e = registry.Register(new VmStateDevice<HolderState>(VmState.Describe<HolderState>("ide", 3).Build(), new HolderState()), path: "0000:00:01.1");
        Assert.Equal(("0000:00:01.1/ide", 0u), (e.Idstr, e.InstanceId));
    }

    private static VmStateDescription TrailerOf(VmStateDescription description, object state)
    {
        var tree = VmStateCodec.Capture(description, state);
        VmStateCodec.EncodeCaptured(tree, new System.Buffers.ArrayBufferWriter<byte>());
        var json = new QemuJsonWriter();
        json.StartObject();
        TrailerDescriptionWriter.Write(json, tree, description.VersionId);
        json.EndObject();
        using var doc = System.Text.Json.JsonDocument.Parse(json.ToBytes());
        return TrailerSchema.FromDevice(doc.RootElement)!;
    }

    private static byte[] Trailer(SaveStateRegistry registry)
    {
        var ms = new MemoryStream();
        registry.SaveDeviceState(ms, new SaveOptions { Trailer = true });
        var info = StreamInfo.Read(new MemoryStream(ms.ToArray()));
        return ms.ToArray().AsSpan((int)info.Trailer!.Value.Offset + 5).ToArray();
    }
}
