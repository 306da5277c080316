namespace Qevm.Schema;

/// <summary>
/// The description names an idstr can stand for (§4.9): a device on a bus has the idstr
/// <c>PATH/VMSD-NAME</c>, where the path itself may contain '/', so every part after a '/' is a candidate.
/// </summary>
internal static class VmsdName
{
    /// <summary>The idstr itself, then each of its parts after a '/', longest first.</summary>
    public static IEnumerable<string> Candidates(string idstr)
    {
        yield return idstr;
        foreach (var s in Suffixes(idstr)) yield return s;
    }

    /// <summary>Each part of the idstr after a '/', longest first.</summary>
    public static IEnumerable<string> Suffixes(string idstr)
    {
        for (int slash = idstr.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = idstr.IndexOf('/', slash + 1))
            yield return idstr[(slash + 1)..];
    }
}
