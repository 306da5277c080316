namespace Qevm.Edit;

/// <summary>A RAM block whose pages differ between two streams.</summary>
/// <param name="Block">The RAM block's name.</param>
/// <param name="Pages">How many of its pages differ.</param>
public sealed record RamDifference(string Block, long Pages);
