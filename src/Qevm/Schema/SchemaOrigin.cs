namespace Qevm.Schema;

/// <summary>Where a description comes from; it says how much of QEMU's rules the description carries.</summary>
public enum SchemaOrigin
{
    /// <summary>A stream's JSON trailer: what was written, with concrete counts and the subsections present.</summary>
    Trailer,
    /// <summary>A catalogue of trailers harvested from streams.</summary>
    Catalogue,
    /// <summary><c>-dump-vmstate</c>: versions and sizes, no types, no counts, <c>field_exists</c> outcomes unknown.</summary>
    DumpVmState,
    /// <summary>A description declared in C# (the engine): every rule, with its tests over the state.</summary>
    Code,
}
