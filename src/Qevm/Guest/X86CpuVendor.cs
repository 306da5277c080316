namespace Qevm.Guest;

/// <summary>
/// The first vCPU's vendor as QEMU's <c>IS_AMD_CPU</c> sees it, which decides where x86 RAM above 4 GiB goes
/// (<see cref="GuestLayoutHints.CpuVendor"/>). Under KVM it is the host's; under TCG the <c>-cpu</c> model's
/// (<c>qemu64</c>, the default, is AuthenticAMD), unless <c>vendor=</c> overrides it.
/// </summary>
public enum X86CpuVendor
{
    /// <summary>GenuineIntel, or any vendor but AuthenticAMD (QEMU treats Hygon, Zhaoxin and the rest as not AMD).</summary>
    Intel,

    /// <summary>AuthenticAMD.</summary>
    Amd,
}
