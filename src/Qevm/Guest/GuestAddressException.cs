namespace Qevm.Guest;

/// <summary>A guest-physical address asked for is not in any RAM range of the guest (MMIO, a hole, past the end).</summary>
public sealed class GuestAddressException : Exception
{
    /// <summary>Creates the exception with the reason.</summary>
    public GuestAddressException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public GuestAddressException() : base("the guest-physical address is not RAM")
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public GuestAddressException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
