namespace Qevm.Compatibility;

/// <summary>A RAM block a side has: its idstr and <c>used_length</c>.</summary>
/// <param name="Name">The block's idstr (<c>pc.ram</c>, <c>0000:00:02.0/e1000.rom</c>).</param>
/// <param name="Length">Its length; null when the side does not know it (guest RAM of a database entry: the destination's <c>-m</c>).</param>
public sealed record SchemaSideRamBlock(string Name, ulong? Length);
