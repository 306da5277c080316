using System.CommandLine;
using Qevm.Guest;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>--cpu-vendor amd|intel</c>, <c>--maxmem SIZE</c>, <c>--slots N</c>: what decides where QEMU puts x86 RAM above
/// 4 GiB (4 GiB, or 1 TiB for an AMD vCPU whose address space reaches the HyperTransport hole), which the stream does
/// not hold. They override what a libvirt image's domain XML says.
/// </summary>
internal sealed class LayoutHintOptions
{
    private readonly Option<string?> _vendor = new("--cpu-vendor")
    {
        HelpName = "amd|intel",
        Description = "the vCPU vendor (KVM: the host's; TCG: the -cpu model's, qemu64 is amd): QEMU 7.1+ machine types put RAM above 4 GiB at 1 TiB for an AMD vCPU whose address space reaches 0xfd00000000",
    };

    private readonly Option<string?> _maxmem = new("--maxmem")
    {
        HelpName = "SIZE",
        Description = "the guest's -m maxmem= (bytes, or with QEMU's suffixes K, M, G, T: 1T, 512G, 4096M)",
    };

    private readonly Option<int?> _slots = new("--slots")
    {
        HelpName = "N",
        Description = "the guest's -m slots=, when the stream has no ACPI memory-hotplug state to tell it",
    };

    // Values are checked in Apply, so a wrong one is one line (AcceptOnlyFromAmong's message lists them on several).
    public LayoutHintOptions() => _vendor.CompletionSources.Add("amd", "intel");

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> All => [_vendor, _maxmem, _slots];

    /// <summary>What the options give (null when none), read before any file so that a bad value is a usage error first.</summary>
    /// <exception cref="ArgumentException">A value does not parse (a usage error).</exception>
    public GuestLayoutHints? Parse(ParseResult pr)
    {
        var vendorText = pr.GetValue(_vendor);
        X86CpuVendor? vendor = vendorText is null ? null
            : string.Equals(vendorText, "amd", StringComparison.OrdinalIgnoreCase) ? X86CpuVendor.Amd
            : string.Equals(vendorText, "intel", StringComparison.OrdinalIgnoreCase) ? X86CpuVendor.Intel
            : throw new ArgumentException($"--cpu-vendor '{vendorText}': expected amd or intel");
        ulong? maxmem = pr.GetValue(_maxmem) is { } text ? GuestLayoutHints.ParseSize(text, "--maxmem") : null;
        int? slots = pr.GetValue(_slots);
        if (slots < 0) throw new ArgumentException($"--slots {slots}: expected a count (0 or more)");
        return vendor is null && maxmem is null && slots is null ? null
            : new GuestLayoutHints { CpuVendor = vendor, MaxRamSize = maxmem, RamSlots = slots };
    }

    /// <summary>The container's hints (a libvirt image's XML, or null) with what the options give over them.</summary>
    public static GuestLayoutHints? Over(GuestLayoutHints? given, GuestLayoutHints? container) =>
        given is null ? container : (container ?? new GuestLayoutHints()) with
        {
            CpuVendor = given.CpuVendor ?? container?.CpuVendor,
            MaxRamSize = given.MaxRamSize ?? container?.MaxRamSize,
            RamSlots = given.RamSlots ?? container?.RamSlots,
        };
}
