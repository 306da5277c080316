namespace Qevm.Engine.Devices;

/// <summary>
/// One 8259 PIC (<c>i8259</c>, version 1): QEMU 7.2's <c>vmstate_pic_common</c>. A PC has two, registered as
/// instances 0 (master, I/O 0x20) and 1 (slave, I/O 0xA0).
/// </summary>
public sealed class I8259 : VmStateDevice<I8259State>
{
    /// <summary>QEMU's <c>vmstate_pic_common</c>.</summary>
    public static readonly Vmsd<I8259State> Vmstate =
        VmState.Describe<I8259State>("i8259", version: 1, minimumVersion: 1)
            .Field("last_irr", static (I8259State s) => ref s.LastIrr)
            .Field("irr", static (I8259State s) => ref s.Irr)
            .Field("imr", static (I8259State s) => ref s.Imr)
            .Field("isr", static (I8259State s) => ref s.Isr)
            .Field("priority_add", static (I8259State s) => ref s.PriorityAdd)
            .Field("irq_base", static (I8259State s) => ref s.IrqBase)
            .Field("read_reg_select", static (I8259State s) => ref s.ReadRegSelect)
            .Field("poll", static (I8259State s) => ref s.Poll)
            .Field("special_mask", static (I8259State s) => ref s.SpecialMask)
            .Field("init_state", static (I8259State s) => ref s.InitState)
            .Field("auto_eoi", static (I8259State s) => ref s.AutoEoi)
            .Field("rotate_on_auto_eoi", static (I8259State s) => ref s.RotateOnAutoEoi)
            .Field("special_fully_nested_mode", static (I8259State s) => ref s.SpecialFullyNestedMode)
            .Field("init4", static (I8259State s) => ref s.Init4)
            .Field("single_mode", static (I8259State s) => ref s.SingleMode)
            .Field("elcr", static (I8259State s) => ref s.Elcr)
            .Build();

    /// <summary>A PIC in its reset state, at I/O base <paramref name="ioBase"/> (0x20 master, 0xA0 slave).</summary>
    public I8259(uint ioBase) : base(Vmstate, new I8259State())
    {
        IoBase = ioBase;
    }

    /// <summary>The I/O base, also QEMU's legacy instance id for this PIC.</summary>
    public uint IoBase { get; }
}
