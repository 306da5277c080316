using System.Text.Json;

namespace Qevm.Container;

/// <summary>What wraps a QEMU stream on disk: a libvirt save image, a qcow2 internal snapshot, a compressed file.</summary>
public abstract class VmStateContainer
{
    /// <summary><c>libvirt</c>, <c>qcow2</c> or <c>compressed</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>Writes the container's header fields as one JSON object (<c>info --json</c>'s <c>container</c>).</summary>
    public abstract void WriteJson(Utf8JsonWriter writer);

    /// <summary>
    /// Starts an output file in this container: writes what comes before the QEMU stream and returns the stream to
    /// write the QEMU stream into (dispose it to finish, e.g. to end the compression). <paramref name="compress"/>
    /// replaces the container's compression when given.
    /// </summary>
    public abstract System.IO.Stream OpenWrite(System.IO.Stream output, StreamCompression? compress = null);

    /// <summary>
    /// The container an output of <c>dump --json</c> names under <c>"container"</c> (written by
    /// <see cref="StateJson"/> with the libvirt XML and cookie), for <c>compose</c>; null for none or a qcow2 snapshot
    /// (whose VM state is written out as a stream).
    /// </summary>
    public static VmStateContainer? FromJson(JsonElement container)
    {
        if (container.ValueKind != JsonValueKind.Object) return null;
        return container.GetProperty("kind").GetString() switch
        {
            "libvirt" => LibvirtSaveHeader.FromDumpJson(container),
            "compressed" => new CompressedContainer(Compression.Parse(container.GetProperty("compression").GetString() ?? "")),
            _ => null,
        };
    }
}
