namespace Qevm.Guest;

/// <summary>
/// A stream made with the <c>x-ignore-shared</c> capability has no pages of a RAM block (QEMU leaves shared memory
/// out) and no <see cref="RamFileSource"/> gives them: the guest's memory there cannot be known.
/// </summary>
public sealed class SharedRamMissingException : Exception
{
    /// <summary>Creates the exception for <paramref name="block"/>.</summary>
    public SharedRamMissingException(string block)
        : base($"RAM block '{block}' has no pages in the stream: it was saved with x-ignore-shared, which leaves shared memory in its memory-backend file")
    {
        Block = block;
    }

    /// <summary>Creates the exception.</summary>
    public SharedRamMissingException() : base("a RAM block has no pages in the stream (x-ignore-shared)")
    {
        Block = "";
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SharedRamMissingException(string message, Exception innerException) : base(message, innerException)
    {
        Block = "";
    }

    /// <summary>The block without pages.</summary>
    public string Block { get; }
}
