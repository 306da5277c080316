namespace Qevm.Guest;

/// <summary>The machine types whose guest-physical layout Qevm knows (from the stream's configuration section).</summary>
public enum GuestMachine
{
    /// <summary><c>pc-i440fx-*</c>: the I440FX host bridge (PAM at config 0x59, SMRAM at 0x72).</summary>
    I440fx,

    /// <summary><c>pc-q35-*</c>: the Q35 MCH (PAM at config 0x90, SMRAM at 0x9d, ESMRAMC at 0x9e).</summary>
    Q35,

    /// <summary><c>microvm</c> (x86): RAM to 3 GiB and from 4 GiB, the BIOS at 1 MiB and 4 GiB, no chipset windows.</summary>
    Microvm,

    /// <summary><c>virt-*</c> (aarch64): RAM at 0x40000000 (hw/arm/virt.c <c>VIRT_MEM</c>).</summary>
    ArmVirt,
}
