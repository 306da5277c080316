namespace Qevm.Tests.Wire;

/// <summary>File header (FORMAT.md §3) and the smallest valid file (§4.4).</summary>
public class HeaderTests
{
    [Fact]
    public void BadMagic_IsRejectedAtOffset0WithQemusMessage()
    {
        // §3 / §17.2: magic ≠ 0x5145564D → "Not a migration stream".
        byte[] data =
        [
            /* magic "QEVN" */ 0x51, 0x45, 0x56, 0x4E,
            /* version 3    */ 0x00, 0x00, 0x00, 0x03,
            /* EOF          */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadMagic, e.Error);
        Assert.Equal(0, e.Offset);
        Assert.Equal("Not a migration stream", e.QemuMessage);
    }

    [Fact]
    public void Version2_IsObsolete()
    {
        // §3: version = QEMU_VM_FILE_VERSION_COMPAT (2) has its own message.
        byte[] data =
        [
            /* magic "QEVM" */ 0x51, 0x45, 0x56, 0x4D,
            /* version 2    */ 0x00, 0x00, 0x00, 0x02,
            /* EOF          */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.UnsupportedVersion, e.Error);
        Assert.Equal(4, e.Offset);
        Assert.Equal("SaveVM v2 format is obsolete and don't work anymore", e.QemuMessage);
    }

    [Fact]
    public void Version4_IsUnsupported()
    {
        // §3: version ∉ {2, 3} → "Unsupported migration stream version".
        byte[] data =
        [
            /* magic "QEVM" */ 0x51, 0x45, 0x56, 0x4D,
            /* version 4    */ 0x00, 0x00, 0x00, 0x04,
            /* EOF          */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.UnsupportedVersion, e.Error);
        Assert.Equal(4, e.Offset);
        Assert.Equal("Unsupported migration stream version", e.QemuMessage);
    }

    [Fact]
    public void HeaderCutShort_IsTruncated()
    {
        // §3: the header is 8 bytes; §2.4: reading past the end is an I/O error.
        byte[] data = [/* magic "QEVM" */ 0x51, 0x45, 0x56, 0x4D, /* half a version */ 0x00, 0x00];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.Truncated, e.Error);
        Assert.Equal(6, e.Offset);
    }

    [Fact]
    public void EmptyDeviceStateFile_IsHeaderThenEof()
    {
        // §4.4: a device-state file with no device to save is the header and the EOF byte.
        byte[] data =
        [
            /* magic "QEVM" */ 0x51, 0x45, 0x56, 0x4D,
            /* version 3    */ 0x00, 0x00, 0x00, 0x03,
            /* EOF          */ 0x00,
        ];
        using var r = WireReader.Open(data);
        Assert.True(r.Read());
        Assert.Equal(RecordType.FileHeader, r.RecordType);
        Assert.Equal(0, r.RecordOffset);
        Assert.Equal(3u, r.Version);
        Assert.Equal(8, r.PayloadLength);
        Assert.True(r.Read());
        Assert.Equal(RecordType.Eof, r.RecordType);
        Assert.Equal(8, r.RecordOffset);
        Assert.False(r.Read());
        Assert.False(r.Read());
        Assert.Null(r.Configuration);
        Assert.Null(r.OwnTrailer);
        Assert.Equal(9, r.Position);

        var info = StreamInfo.Read(new MemoryStream(data));
        Assert.Equal(3u, info.Version);
        Assert.Equal(StreamKind.DeviceState, info.Kind);
        Assert.Empty(info.Sections);
        Assert.Empty(info.Commands);
        Assert.Equal(8, info.EofOffset);
        Assert.Null(info.Trailer);
        Assert.Null(info.Ram);

        WireReader.AssertCopyIdentical(data);
    }

    [Fact]
    public void MissingEof_IsTruncatedWithIoError()
    {
        // §2.4: a file cut exactly before EOF fails with -EIO, not "Unknown savevm section type".
        byte[] data =
        [
            /* magic "QEVM" */ 0x51, 0x45, 0x56, 0x4D,
            /* version 3    */ 0x00, 0x00, 0x00, 0x03,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.Truncated, e.Error);
        Assert.Equal(8, e.Offset);
        Assert.Equal("load of migration failed: Input/output error", e.QemuMessage);
    }

    [Fact]
    public void WriterHeader_IsMagicAndVersion()
    {
        // §3: the writer's header bytes.
        using var ms = new MemoryStream();
        using (var w = new VmStateWriter(ms, leaveOpen: true))
        {
            w.WriteHeader();
            w.WriteEof();
            Assert.Equal(9, w.Position);
        }
        Assert.Equal("5145564D0000000300", Convert.ToHexString(ms.ToArray()));
    }
}
