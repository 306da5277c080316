namespace Qevm.Iterative;

/// <summary>Kinds of records inside the data of iterative sections (§11, §12).</summary>
public enum IterativeItemKind
{
    /// <summary>RAM <c>MEM_SIZE</c> header (be64 total | 0x4); block entries follow as <see cref="RamBlockEntry"/>.</summary>
    RamMemSize,
    /// <summary>One block of the <c>MEM_SIZE</c> list.</summary>
    RamBlockEntry,
    /// <summary>(10.0) mapped-ram bitmap and page region of the preceding block, skipped in the stream.</summary>
    RamMappedRegion,
    /// <summary>RAM zero page.</summary>
    RamZero,
    /// <summary>RAM raw page.</summary>
    RamPage,
    /// <summary>RAM XBZRLE page.</summary>
    RamXbzrle,
    /// <summary>(7.2) RAM zlib page.</summary>
    RamCompressedPage,
    /// <summary>(10.0) RAM multifd flush.</summary>
    RamMultifdFlush,
    /// <summary>RAM hook (RDMA).</summary>
    RamHook,
    /// <summary>RAM end of section data.</summary>
    RamEos,
    /// <summary>(7.2) block migration: 1 MiB chunk or zero chunk of a device.</summary>
    BlockChunk,
    /// <summary>(7.2) block migration progress.</summary>
    BlockProgress,
    /// <summary>(7.2) block migration end of section data.</summary>
    BlockEos,
    /// <summary>Dirty-bitmap chunk (START, BITS, COMPLETE).</summary>
    BitmapChunk,
    /// <summary>Dirty-bitmap end of section data.</summary>
    BitmapEos,
    /// <summary>spapr/htab be32 header (shift, -1, or 0 when chunks follow).</summary>
    HtabHeader,
    /// <summary>spapr/htab chunk of HPTEs.</summary>
    HtabChunk,
    /// <summary>spapr/htab end marker (be32 0, be16 0, be16 0).</summary>
    HtabEnd,
    /// <summary>s390 storage attributes MORE record.</summary>
    StorageAttributesMore,
    /// <summary>s390 storage attributes DONE record.</summary>
    StorageAttributesDone,
    /// <summary>s390 storage attributes end of section data.</summary>
    StorageAttributesEos,
    /// <summary>Data of an iterative handler Qevm does not parse (VFIO), delimited by its footer.</summary>
    Opaque,
}
