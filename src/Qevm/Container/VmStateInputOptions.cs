namespace Qevm.Container;

/// <summary>How <see cref="VmStateInput.Open"/> treats containers.</summary>
public sealed class VmStateInputOptions
{
    /// <summary>Read a libvirt image whose save did not finish (<c>LibvirtQemudPart</c>) instead of refusing it.</summary>
    public bool AllowPartial { get; init; }

    /// <summary>The qcow2 internal snapshot (ID or name) whose VM state to read; required for a qcow2 image.</summary>
    public string? Snapshot { get; init; }
}
