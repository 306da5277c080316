namespace Qevm.Guest;

/// <summary>The x86 PC chipsets whose guest-physical layout Qevm knows.</summary>
public enum PcMachine
{
    /// <summary><c>pc-i440fx-*</c>: the I440FX host bridge (PAM at config 0x59, SMRAM at 0x72).</summary>
    I440fx,

    /// <summary><c>pc-q35-*</c>: the Q35 MCH (PAM at config 0x90, SMRAM at 0x9d, ESMRAMC at 0x9e).</summary>
    Q35,
}
