namespace Qevm.Guest;

/// <summary>
/// The guest-physical layout cannot be known from what the stream holds (a machine type whose layout Qevm does
/// not model, a missing RTC or host bridge section, CMOS sizes that do not match the RAM block).
/// </summary>
public sealed class GuestLayoutException : Exception
{
    /// <summary>Creates the exception with the reason.</summary>
    public GuestLayoutException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public GuestLayoutException() : base("the guest-physical layout cannot be known")
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public GuestLayoutException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
