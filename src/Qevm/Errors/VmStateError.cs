namespace Qevm.Errors;

/// <summary>Stable codes for what went wrong in a VM-state stream (tests and <c>--json</c> use them).</summary>
public enum VmStateError
{
    /// <summary>The input ended inside a record.</summary>
    Truncated,
    /// <summary>The magic is not <c>QEVM</c>.</summary>
    BadMagic,
    /// <summary>The header version is not 3.</summary>
    UnsupportedVersion,
    /// <summary>A top-level byte that is not a record type QEMU accepts there.</summary>
    UnknownRecordType,
    /// <summary>A section header that cannot be read (empty idstr, ...).</summary>
    BadSectionHeader,
    /// <summary>A PART/END section whose id no START/FULL section introduced.</summary>
    UnknownSection,
    /// <summary>A section not closed by its footer, or a footer naming another section.</summary>
    BadFooter,
    /// <summary>A section whose end cannot be found: no footers and no description.</summary>
    NeedsSchema,
    /// <summary>An unknown or malformed command.</summary>
    BadCommand,
    /// <summary>A malformed configuration section.</summary>
    BadConfiguration,
    /// <summary>A malformed RAM record.</summary>
    BadRam,
    /// <summary>A malformed record of another iterative section (block, dirty-bitmap, htab, storage attributes).</summary>
    BadIterativeData,
    /// <summary>A malformed JSON trailer.</summary>
    BadTrailer,
    /// <summary>Section data that does not follow its description.</summary>
    DescriptionMismatch,
    /// <summary>A length or count beyond the reader's limits.</summary>
    LimitExceeded,
    /// <summary>A malformed container around the stream: libvirt save header, qcow2 image or snapshot, compressed data.</summary>
    BadContainer,
    /// <summary>A section no registered device matches (idstr and instance id), when loading into the engine.</summary>
    UnknownDevice,
    /// <summary>A version above the description's or below its minimum.</summary>
    UnsupportedDescriptionVersion,
    /// <summary>A subsection whose name starts with the description's but that the description does not have.</summary>
    UnknownSubsection,
    /// <summary>A device refused the values it was given (a post-load hook, an <c>equal</c> field).</summary>
    LoadRefused,

    /// <summary>A libvirt save image whose save did not finish (<c>LibvirtQemudPart</c>); it can be read on request.</summary>
    PartialSave,

    /// <summary>A JSON document given as input (<c>compose</c>'s <c>dump --json</c> form) that is malformed, or has a value of the wrong type or out of range.</summary>
    BadDocument,
}
