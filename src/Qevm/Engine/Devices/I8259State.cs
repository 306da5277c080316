namespace Qevm.Engine.Devices;

/// <summary>The migrated state of one 8259 interrupt controller (QEMU's <c>PICCommonState</c>).</summary>
#pragma warning disable CA1051 // The description binds fields by reference, as QEMU's table binds struct members.
public sealed class I8259State : IDeviceState<I8259State>
{
    /// <summary>Edge detection.</summary>
    public byte LastIrr;
    /// <summary>Interrupt request register.</summary>
    public byte Irr;
    /// <summary>Interrupt mask register.</summary>
    public byte Imr;
    /// <summary>In-service register.</summary>
    public byte Isr;
    /// <summary>Highest IRQ priority.</summary>
    public byte PriorityAdd;
    /// <summary>Vector base (ICW2).</summary>
    public byte IrqBase;
    /// <summary>OCW3 register-read selection.</summary>
    public byte ReadRegSelect;
    /// <summary>Poll mode.</summary>
    public byte Poll;
    /// <summary>Special mask mode.</summary>
    public byte SpecialMask;
    /// <summary>Initialisation word expected next.</summary>
    public byte InitState;
    /// <summary>Automatic end of interrupt.</summary>
    public byte AutoEoi;
    /// <summary>Rotate on automatic EOI.</summary>
    public byte RotateOnAutoEoi;
    /// <summary>Special fully nested mode.</summary>
    public byte SpecialFullyNestedMode;
    /// <summary>ICW4 expected.</summary>
    public byte Init4;
    /// <summary>Single (not cascaded) mode.</summary>
    public byte SingleMode;
    /// <summary>Edge/level control register.</summary>
    public byte Elcr;

    /// <inheritdoc/>
    public I8259State Clone() => (I8259State)MemberwiseClone();
}
#pragma warning restore CA1051
