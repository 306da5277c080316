using CsCheck;
using Qevm.Engine;
using Qevm.Engine.Devices;

namespace Qevm.Tests.Engine;

/// <summary>Any section bytes the sample devices' descriptions accept load and save back unchanged.</summary>
public sealed class DeviceProperties
{
    [Fact]
    public void AnyValues_LoadThenSave_GivesTheSameFile() =>
        Gen.Select(Gen.Byte.Array[16], Gen.Byte.Array[16], Gen.Byte.Array[245], Gen.Byte.Array[108], Gen.UShort).Sample((pic0, pic1, rtc, pit, reinject) =>
        {
            // The RTC's unused bytes are written as zeros: offsets 129..156 and 173..196.
            Array.Clear(rtc, 129, 28);
            Array.Clear(rtc, 173, 24);
            // The PIT writes channel 0's next_transition_time twice (inside the struct and as the last field), as QEMU does.
            Array.Copy(pit, 4 + 24, pit, 100, 8);
            var sub = reinject == 0 ? [] : (byte[])[0x05, 37, .. "mc146818rtc/irq_reinject_on_ack_count"u8, 0, 0, 0, 1, (byte)(reinject >> 8), (byte)reinject];
            var source = new SampleMachine();
            var ms = new MemoryStream();
            source.Registry.SaveDeviceState(ms);
            var file = Build(ms.ToArray(), [pic0, pic1, [.. rtc, .. sub], pit]);

            var machine = new SampleMachine();
            machine.Registry.LoadDeviceState(new MemoryStream(file));
            Assert.Equal(reinject, machine.Rtc.State.IrqReinjectOnAckCount);
            var saved = new MemoryStream();
            machine.Registry.SaveDeviceState(saved);
            return saved.ToArray().AsSpan().SequenceEqual(file);
        });

    // The file of the reset machine with each section's data replaced.
    private static byte[] Build(byte[] template, byte[][] payloads)
    {
        var info = StreamInfo.Read(new MemoryStream(template));
        var output = new List<byte>(template[..8]);
        for (int i = 0; i < info.Sections.Count; i++)
        {
            var s = info.Sections[i];
            output.AddRange(template[(int)s.RecordOffset..(int)s.PayloadOffset]);
            output.AddRange(payloads[i]);
            output.AddRange(template[(int)s.FooterOffset!.Value..((int)s.FooterOffset.Value + 5)]);
        }
        output.Add(0x00);
        return [.. output];
    }
}
