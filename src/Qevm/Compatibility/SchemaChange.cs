using System.Text.Json.Serialization;

namespace Qevm.Compatibility;

/// <summary>A kind of difference <see cref="SchemaDiff"/> reports between an OLD (source) and a NEW (destination) QEMU.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SchemaChange>))]
public enum SchemaChange
{
    /// <summary>The stream's machine type is not NEW's: <c>Machine type received is 'A' and local is 'B'</c>.</summary>
    [JsonStringEnumMemberName("machine-type-differs")]
    MachineTypeDiffers,

    /// <summary>A section (description) OLD has and NEW does not: <c>Unknown savevm section or instance</c>.</summary>
    [JsonStringEnumMemberName("section-missing-in-new")]
    SectionMissingInNew,

    /// <summary>A section NEW has and OLD does not: the device keeps its reset state.</summary>
    [JsonStringEnumMemberName("section-missing-in-old")]
    SectionMissingInOld,

    /// <summary>OLD's version is above NEW's <c>version_id</c>.</summary>
    [JsonStringEnumMemberName("version-too-new")]
    VersionTooNew,

    /// <summary>OLD's version is below NEW's <c>minimum_version_id</c>.</summary>
    [JsonStringEnumMemberName("version-too-old")]
    VersionTooOld,

    /// <summary>A subsection OLD may send that NEW does not know (its load fails with -ENOENT).</summary>
    [JsonStringEnumMemberName("subsection-missing-in-new")]
    SubsectionMissingInNew,

    /// <summary>A subsection only NEW has: OLD never sends it.</summary>
    [JsonStringEnumMemberName("subsection-missing-in-old")]
    SubsectionMissingInOld,

    /// <summary>A field NEW reads that OLD does not write (or, guarded by a version above OLD's, does not read).</summary>
    [JsonStringEnumMemberName("field-added")]
    FieldAdded,

    /// <summary>A field OLD writes that NEW does not read.</summary>
    [JsonStringEnumMemberName("field-removed")]
    FieldRemoved,

    /// <summary>A field at the same place with the same size and type under another name.</summary>
    [JsonStringEnumMemberName("field-renamed")]
    FieldRenamed,

    /// <summary>A field of another size or number of elements.</summary>
    [JsonStringEnumMemberName("field-resized")]
    FieldResized,

    /// <summary>A field of another type (another encoding).</summary>
    [JsonStringEnumMemberName("field-retyped")]
    FieldRetyped,

    /// <summary>Fields of the same total length split differently (or replaced by an <c>unused</c> buffer).</summary>
    [JsonStringEnumMemberName("fields-relaid")]
    FieldsRelaid,

    /// <summary>A RAM block OLD sends that NEW does not have: <c>Unknown ramblock</c>.</summary>
    [JsonStringEnumMemberName("ramblock-missing-in-new")]
    RamBlockMissingInNew,

    /// <summary>A RAM block of another length in NEW: <c>Size mismatch</c> unless the block is resizeable.</summary>
    [JsonStringEnumMemberName("ramblock-resized")]
    RamBlockResized,
}
