using System.Text.Json.Serialization;

namespace Qevm.Compatibility;

/// <summary>What the destination QEMU does with a difference between the source's and its own descriptions.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<QemuReaction>))]
public enum QemuReaction
{
    /// <summary>It loads: a field guarded by a version, a subsection the source does not send, a same-layout rename.</summary>
    [JsonStringEnumMemberName("accept")]
    Accept,

    /// <summary>It loads without an error but reads other bytes than were written: same version, other layout (a silent corruption).</summary>
    [JsonStringEnumMemberName("read-wrongly")]
    ReadWrongly,

    /// <summary>It stops the load with an error (unknown section or subsection, version too new or too old, unknown RAM block).</summary>
    [JsonStringEnumMemberName("refuse")]
    Refuse,
}
