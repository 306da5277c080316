namespace Qevm.Guest;

/// <summary>A segment register as QEMU's <c>SegmentCache</c> holds it (the <c>cpu</c> section's <c>env.segs[i]</c>, <c>env.ldt</c>, …).</summary>
public readonly record struct X86Segment(uint Selector, ulong Base, uint Limit, uint Flags);
