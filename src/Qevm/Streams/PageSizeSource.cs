namespace Qevm.Streams;

/// <summary>Where a reader's RAM page size came from; the first four are facts, the last two are guesses.</summary>
public enum PageSizeSource
{
    /// <summary>Not known yet.</summary>
    None,
    /// <summary>Given by the caller (<see cref="VmStateReaderOptions.PageSize"/>).</summary>
    Option,
    /// <summary>The configuration section's <c>target-page-bits</c>.</summary>
    Configuration,
    /// <summary>The trailer's <c>page_size</c>.</summary>
    Trailer,
    /// <summary>The page size in a <c>POSTCOPY_ADVISE</c> command.</summary>
    PostcopyAdvise,
    /// <summary>Inferred from the first page record (a warning says so).</summary>
    Inferred,
    /// <summary>Assumed to be 4096 (nothing said otherwise).</summary>
    Assumed,
}
