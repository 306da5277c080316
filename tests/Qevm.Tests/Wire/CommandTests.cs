using static Qevm.Tests.Wire.WireBytes;

namespace Qevm.Tests.Wire;

/// <summary>QEMU_VM_COMMAND records (FORMAT.md §10).</summary>
public class CommandTests
{
    // Every command 1..11 once (§10.2, §10.3), in a plausible order.
    private static byte[] AllCommands() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* COMMAND */ 0x08, /* OPEN_RETURN_PATH */ 0x00, 0x01, /* len 0 */ 0x00, 0x00)
        .At(13).Add(/* COMMAND */ 0x08, /* PING */ 0x00, 0x02, /* len 4 */ 0x00, 0x04, /* be32 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(22).Add(/* COMMAND */ 0x08, /* POSTCOPY_ADVISE */ 0x00, 0x03, /* len 0 */ 0x00, 0x00)
        .At(27).Add(/* COMMAND */ 0x08, /* POSTCOPY_ADVISE */ 0x00, 0x03, /* len 16 */ 0x00, 0x10,
            /* be64 ram_pagesize_summary */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
            /* be64 target page size 8 KiB */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00)
        .At(48).Add(/* COMMAND */ 0x08, /* POSTCOPY_RAM_DISCARD */ 0x00, 0x06, /* len 3+6+16 */ 0x00, 0x19,
            /* version */ 0x00).Add(/* block name */ Str8("pc.ram")).Add(/* nil */ 0x00,
            /* be64 start */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            /* be64 length */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00)
        .At(78).Add(/* COMMAND */ 0x08, /* POSTCOPY_LISTEN */ 0x00, 0x04, /* len 0 */ 0x00, 0x00)
        .At(83).Add(/* COMMAND */ 0x08, /* POSTCOPY_RUN */ 0x00, 0x05, /* len 0 */ 0x00, 0x00)
        .At(88).Add(/* COMMAND */ 0x08, /* ENABLE_COLO */ 0x00, 0x08, /* len 0 */ 0x00, 0x00)
        .At(93).Add(/* COMMAND */ 0x08, /* POSTCOPY_RESUME */ 0x00, 0x09, /* len 0 */ 0x00, 0x00)
        .At(98).Add(/* COMMAND */ 0x08, /* RECV_BITMAP */ 0x00, 0x0A, /* len 7 */ 0x00, 0x07).Add(/* block name */ Str8("pc.ram"))
        .At(110).Add(/* COMMAND */ 0x08, /* SWITCHOVER_START */ 0x00, 0x0B, /* len 0 */ 0x00, 0x00)
        .At(115).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void EveryCommand_IsReadWithNumberNameAndPayload()
    {
        using var r = WireReader.Open(AllCommands());
        var recs = WireReader.ReadAll(r);
        var cmds = recs.Where(x => x.Type == RecordType.Command).ToList();
        Assert.Equal([1, 2, 3, 3, 6, 4, 5, 8, 9, 10, 11], cmds.Select(c => (int)c.Command));
        Assert.Equal(
            ["OPEN_RETURN_PATH", "PING", "POSTCOPY_ADVISE", "POSTCOPY_ADVISE", "POSTCOPY_RAM_DISCARD", "POSTCOPY_LISTEN",
             "POSTCOPY_RUN", "ENABLE_COLO", "POSTCOPY_RESUME", "RECV_BITMAP", "SWITCHOVER_START"],
            cmds.Select(c => MigCommands.Name(c.Command)));
        Assert.Equal([8L, 13, 22, 27, 48, 78, 83, 88, 93, 98, 110], cmds.Select(c => c.RecordOffset));
        Assert.Equal([13L, 18, 27, 32, 53, 83, 88, 93, 98, 103, 115], cmds.Select(c => c.PayloadOffset));
        Assert.Equal([0L, 4, 0, 16, 25, 0, 0, 0, 0, 7, 0], cmds.Select(c => c.PayloadLength));
        Assert.Equal("00000001", Convert.ToHexString(cmds[1].Payload));
        Assert.Equal("00067063" + "2E72616D00" + "0000000000000000" + "0000000000002000", Convert.ToHexString(cmds[4].Payload));
        Assert.Equal("0670632E72616D", Convert.ToHexString(cmds[9].Payload));
        Assert.All(cmds, c => Assert.Equal(0, c.Depth));
        Assert.Equal(115, recs[^1].RecordOffset);
        // §11.7 item 3: the 16-byte POSTCOPY_ADVISE gives the target page size.
        Assert.Equal(8192, r.PageSize);
        Assert.Equal(PageSizeSource.PostcopyAdvise, r.PageSizeSource);
    }

    [Fact]
    public void EveryCommand_StreamInfoAndCopy()
    {
        var info = StreamInfo.Read(new MemoryStream(AllCommands()));
        Assert.Equal(11, info.Commands.Count);
        Assert.Equal(new CommandInfo(13, 2, "PING", 4, "00000001"), info.Commands[1]);
        Assert.Equal(new CommandInfo(27, 3, "POSTCOPY_ADVISE", 16, "00000000000020000000000000002000"), info.Commands[3]);
        Assert.Equal(new CommandInfo(110, 11, "SWITCHOVER_START", 0, ""), info.Commands[10]);
        WireReader.AssertCopyIdentical(AllCommands());
    }

    [Fact]
    public void PingWithBadLength_IsRejected()
    {
        // §10.5 step 3 / §17.6 (Verified): "PING received with bad length - expecting 4, got 0".
        byte[] data =
        [
            .. Header,
            /* 0x08 COMMAND */ 0x08, /* OPEN_RETURN_PATH */ 0x00, 0x01, /* len 0 */ 0x00, 0x00,
            /* 0x0D COMMAND */ 0x08, /* PING */ 0x00, 0x02, /* 0x10 len 0 */ 0x00, 0x00,
            /* EOF */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadCommand, e.Error);
        Assert.Equal(16, e.Offset);
        Assert.Equal("PING received with bad length - expecting 4, got 0", e.QemuMessage);
    }

    [Theory]
    [InlineData(0x0000, 0, "MIG_CMD 0x0 unknown (len 0x0)")]
    [InlineData(0x000C, 0, "MIG_CMD 0xc unknown (len 0x0)")]
    [InlineData(0x0123, 2, "MIG_CMD 0x123 unknown (len 0x2)")]
    public void UnknownCommandNumber_IsRejected(ushort cmd, int len, string message)
    {
        // §10.5 step 2 / §17.6: cmd 0 or ≥ MIG_CMD_MAX (0x0C in 10.0).
        byte[] data = [.. Header, /* 0x08 COMMAND */ 0x08, .. Be16(cmd), .. Be16((ushort)len), .. new byte[len], /* EOF */ 0x00];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadCommand, e.Error);
        Assert.Equal(9, e.Offset);
        Assert.Equal(message, e.QemuMessage);
    }

    [Fact]
    public void PingWithoutOpenReturnPath_IsRejected()
    {
        // §10.5 step 4 / §17.6: "CMD_PING (0x%x) received with no return path".
        byte[] data =
        [
            .. Header,
            /* 0x08 COMMAND */ 0x08, /* PING */ 0x00, 0x02, /* len 4 */ 0x00, 0x04, /* be32 1 */ 0x00, 0x00, 0x00, 0x01,
            /* EOF */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadCommand, e.Error);
        Assert.Equal(8, e.Offset);
        Assert.Equal("CMD_PING (0x1) received with no return path", e.QemuMessage);
    }

    [Fact]
    public void PostcopyAdviseWithLength8_IsRejected()
    {
        // §17.6: POSTCOPY_ADVISE lengths other than 0 and 16 → "CMD_POSTCOPY_ADVISE invalid length (%d)".
        byte[] data =
        [
            .. Header,
            /* 0x08 COMMAND */ 0x08, /* POSTCOPY_ADVISE */ 0x00, 0x03, /* 0x0B len 8 */ 0x00, 0x08,
            /* be64 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
            /* EOF */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadCommand, e.Error);
        Assert.Equal(11, e.Offset);
        Assert.Equal("CMD_POSTCOPY_ADVISE invalid length (8)", e.QemuMessage);
    }

    [Fact]
    public void SwitchoverStartWithPayload_HasBadLength()
    {
        // §10.2: SWITCHOVER_START has fixed length 0.
        byte[] data = [.. Header, /* COMMAND */ 0x08, /* SWITCHOVER_START */ 0x00, 0x0B, /* 0x0B len 1 */ 0x00, 0x01, /* payload */ 0x00, /* EOF */ 0x00];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadCommand, e.Error);
        Assert.Equal(11, e.Offset);
        Assert.Equal("SWITCHOVER_START received with bad length - expecting 0, got 1", e.QemuMessage);
    }

    [Fact]
    public void EnableColoWithPayload_HasBadLengthPrintedWithNullName()
    {
        // §10.2 note: mig_cmd_args[] has no entry for ENABLE_COLO, so length 0 is implied and the
        // "bad length" message is printed with a NULL name (glibc prints "(null)"); §17.6.
        byte[] data = [.. Header, /* COMMAND */ 0x08, /* ENABLE_COLO */ 0x00, 0x08, /* 0x0B len 1 */ 0x00, 0x01, /* payload */ 0x00, /* EOF */ 0x00];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadCommand, e.Error);
        Assert.Equal(11, e.Offset);
        Assert.Equal("(null) received with bad length - expecting 0, got 1", e.QemuMessage);
    }

    [Fact]
    public void RecvBitmapWithLengthOtherThanNamePlusOne_IsInvalid()
    {
        // §10.3: RECV_BITMAP payload is u8 n + n bytes, L = n + 1; §17.6: otherwise "%s: invalid payload length (%d)".
        byte[] data =
        [
            .. Header,
            /* 0x08 COMMAND */ 0x08, /* RECV_BITMAP */ 0x00, 0x0A, /* len 8 */ 0x00, 0x08,
            /* 0x0D block name */ 0x06, (byte)'p', (byte)'c', (byte)'.', (byte)'r', (byte)'a', (byte)'m', /* extra */ 0x00,
            /* EOF */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadCommand, e.Error);
        Assert.NotNull(e.QemuMessage);
        Assert.EndsWith(": invalid payload length (8)", e.QemuMessage, StringComparison.Ordinal);
    }

    // §10.3 / §4.3: PACKAGED blob with LISTEN, a FULL section with footer, PING(3), RUN; PING(4) after it.
    private static byte[] Packaged() => new StreamBuilder()
        .At(0).Add(Header)
        .At(8).Add(/* COMMAND */ 0x08, /* OPEN_RETURN_PATH */ 0x00, 0x01, /* len 0 */ 0x00, 0x00)
        .At(13).Add(/* COMMAND */ 0x08, /* PACKAGED */ 0x00, 0x07, /* len 4 */ 0x00, 0x04, /* be32 N = 45 */ 0x00, 0x00, 0x00, 0x2D)
        .At(22).Add(/* COMMAND */ 0x08, /* POSTCOPY_LISTEN */ 0x00, 0x04, /* len 0 */ 0x00, 0x00)
        .At(27).Add(/* FULL */ 0x04, /* id 3 */ 0x00, 0x00, 0x00, 0x03).Add(/* idstr */ Str8("dev"))
        .Add(/* instance 0 */ 0x00, 0x00, 0x00, 0x00, /* version 1 */ 0x00, 0x00, 0x00, 0x01)
        .At(44).Add(/* be32 a */ 0x00, 0x00, 0x00, 0x2A)
        .At(48).Add(/* footer */ 0x7E, /* id 3 */ 0x00, 0x00, 0x00, 0x03)
        .At(53).Add(/* COMMAND */ 0x08, /* PING */ 0x00, 0x02, /* len 4 */ 0x00, 0x04, /* be32 3 */ 0x00, 0x00, 0x00, 0x03)
        .At(62).Add(/* COMMAND */ 0x08, /* POSTCOPY_RUN */ 0x00, 0x05, /* len 0 */ 0x00, 0x00)
        .At(67).Add(/* end of blob; COMMAND */ 0x08, /* PING */ 0x00, 0x02, /* len 4 */ 0x00, 0x04, /* be32 4 */ 0x00, 0x00, 0x00, 0x04)
        .At(76).Add(/* EOF */ 0x00)
        .ToArray();

    [Fact]
    public void Packaged_NestedRecordsHaveDepth1()
    {
        using var r = WireReader.Open(Packaged());
        var recs = WireReader.ReadAll(r);
        Assert.Equal(
        [
            RecordType.FileHeader, RecordType.Command, RecordType.Command,
            RecordType.Command, RecordType.SectionFull, RecordType.SectionFooter, RecordType.Command, RecordType.Command,
            RecordType.Command, RecordType.Eof,
        ], WireReader.Types(recs));
        Assert.Equal(7, recs[2].Command);
        Assert.Equal("0000002D", Convert.ToHexString(recs[2].Payload));
        // Records inside the 45-byte blob (22..67).
        Assert.Equal([22L, 27, 48, 53, 62], recs.Skip(3).Take(5).Select(x => x.RecordOffset));
        Assert.All(recs.Skip(3).Take(5), x => Assert.Equal(1, x.Depth));
        WireReader.AssertSection(3, "dev", 0, 1, recs[4].Section);
        Assert.Equal(44, recs[4].PayloadOffset);
        Assert.Equal(4, recs[4].PayloadLength);
        Assert.Equal(5, recs[7].Command);
        // After the blob.
        Assert.Equal(67, recs[8].RecordOffset);
        Assert.Equal("00000004", Convert.ToHexString(recs[8].Payload));
        Assert.Equal(0, recs[8].Depth);
        Assert.Equal(0, recs[9].Depth);
        Assert.True(r.HasFooters);
    }

    [Fact]
    public void Packaged_CopyIsIdentical() => WireReader.AssertCopyIdentical(Packaged());

    [Fact]
    public void PackagedBlobLongerThanTheInput_IsTruncated()
    {
        // §17.6: "CMD_PACKAGED: Buffer receive fail ret=%d length=%zu" when the blob is cut.
        byte[] data =
        [
            .. Header,
            /* 0x08 COMMAND */ 0x08, /* PACKAGED */ 0x00, 0x07, /* len 4 */ 0x00, 0x04, /* be32 N = 256 */ 0x00, 0x00, 0x01, 0x00,
            /* 0x11 only 5 bytes of blob */ 0x08, 0x00, 0x04, 0x00, 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.Truncated, e.Error);
        Assert.Equal(data.Length, e.Offset);
        Assert.NotNull(e.QemuMessage);
        Assert.StartsWith("CMD_PACKAGED: Buffer receive fail ret=", e.QemuMessage, StringComparison.Ordinal);
        Assert.EndsWith(" length=256", e.QemuMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void EofInsidePackagedBlob_IsRejected()
    {
        // §10.3: the blob is a record sequence without EOF.
        byte[] data =
        [
            .. Header,
            /* 0x08 COMMAND */ 0x08, /* PACKAGED */ 0x00, 0x07, /* len 4 */ 0x00, 0x04, /* be32 N = 1 */ 0x00, 0x00, 0x00, 0x01,
            /* 0x11 EOF inside the blob */ 0x00,
            /* EOF */ 0x00,
        ];
        var e = WireReader.ReadExpectingError(data);
        Assert.Equal(VmStateError.BadCommand, e.Error);
        Assert.Equal(17, e.Offset);
    }

    [Fact]
    public void WriterCommand_IsTypeNumberLengthPayload()
    {
        // §10.1: u8 0x08, be16 command, be16 length, payload.
        using var ms = new MemoryStream();
        using (var w = new VmStateWriter(ms, leaveOpen: true))
        {
            w.WriteCommand((ushort)MigCommand.Ping, [0x00, 0x00, 0x00, 0x01]);
        }
        Assert.Equal("080002000400000001", Convert.ToHexString(ms.ToArray()));
    }
}
