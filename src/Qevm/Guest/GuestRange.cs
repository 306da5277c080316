namespace Qevm.Guest;

/// <summary>
/// One range of guest-physical memory backed by a RAM block: what QEMU's <c>guest_phys_blocks</c> holds for it
/// (one PT_LOAD of <c>dump-guest-memory</c>).
/// </summary>
/// <param name="Address">First guest-physical address.</param>
/// <param name="Block">The RAM block's idstr (e.g. <c>pc.ram</c>, <c>pc.bios</c>).</param>
/// <param name="BlockOffset">Offset of <paramref name="Address"/> within the block.</param>
/// <param name="Length">Bytes.</param>
public readonly record struct GuestRange(ulong Address, string Block, ulong BlockOffset, ulong Length)
{
    /// <summary>The first address after the range.</summary>
    public ulong End => Address + Length;
}
