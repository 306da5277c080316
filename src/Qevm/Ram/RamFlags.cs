namespace Qevm.Ram;

/// <summary>Flags in the low bits of a RAM record's be64 header (ram.c / ram.h: RAM_SAVE_FLAG_*, §11.1).</summary>
[Flags]
public enum RamFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>Obsolete, rejected.</summary>
    Full = 0x001,
    /// <summary>Zero page: one fill byte follows.</summary>
    Zero = 0x002,
    /// <summary>Block list (START).</summary>
    MemSize = 0x004,
    /// <summary>Raw page.</summary>
    Page = 0x008,
    /// <summary>End of this section's RAM data.</summary>
    Eos = 0x010,
    /// <summary>Same block as the previous page record; no name.</summary>
    Continue = 0x020,
    /// <summary>XBZRLE delta page.</summary>
    Xbzrle = 0x040,
    /// <summary>RDMA hook.</summary>
    Hook = 0x080,
    /// <summary>(7.2) zlib-compressed page.</summary>
    CompressPage = 0x100,
    /// <summary>(10.0) multifd sync point.</summary>
    MultifdFlush = 0x200,
}
