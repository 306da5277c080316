using System.Buffers;

namespace Qevm.Engine;

/// <summary>The saving side (<c>qemu_save_device_state</c>).</summary>
internal static class Savevm
{
    public static void SaveDeviceState(SaveStateRegistry registry, System.IO.Stream output, SaveOptions options)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var w = new VmStateWriter(output, leaveOpen: true);
        w.WriteHeader();
        if (options.Configuration is not null) w.WriteConfiguration(options.Configuration);
        QemuJsonWriter? json = null;
        if (options.Trailer)
        {
            json = new QemuJsonWriter();
            json.StartObject();
            json.Int("page_size", options.PageSize);
            json.StartArray("devices");
        }
        var data = new ArrayBufferWriter<byte>();
        foreach (var e in registry.Entries)
        {
            // A top-level needed hook that says no leaves the device out entirely (§5.9).
            if (!e.Device.IsNeeded()) continue;
            data.ResetWrittenCount();
            var tree = e.Device.Capture();
            VmStateCodec.EncodeCaptured(tree, data);
            if (json is not null)
            {
                json.StartObject();
                json.String("name", e.Idstr);
                json.Int("instance_id", e.InstanceId);
                TrailerDescriptionWriter.Write(json, tree, e.Device.VersionId);
                json.EndObject();
            }
            w.WriteSectionHeader(RecordType.SectionFull, new SectionHeader(e.SectionId, e.Idstr, e.InstanceId, (uint)e.Device.VersionId));
            w.WriteSectionData(data.WrittenSpan);
            if (options.SectionFooters) w.WriteFooter(e.SectionId);
        }
        w.WriteEof();
        if (json is not null)
        {
            json.EndArray();
            json.EndObject();
            w.WriteTrailer(json.ToBytes());
        }
    }
}
