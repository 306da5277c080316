using System.Text.Json.Serialization;

namespace Qevm.Compatibility;

/// <summary>The source-generated JSON of <see cref="SchemaDiffReport"/> (snake_case names, reactions and changes as words).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SchemaDiffReport))]
public sealed partial class SchemaDiffJsonContext : JsonSerializerContext;
