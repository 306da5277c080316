namespace Qevm.Engine;

/// <summary>Entry point for declaring device state in C#.</summary>
public static class VmState
{
    /// <summary>Starts the description <paramref name="name"/> of state class <typeparamref name="T"/>.</summary>
    /// <param name="name">The vmsd name, e.g. <c>mc146818rtc</c>.</param>
    /// <param name="version">Its <c>version_id</c>.</param>
    /// <param name="minimumVersion">Its <c>minimum_version_id</c>.</param>
    public static VmsdBuilder<T> Describe<T>(string name, int version, int minimumVersion = 0) where T : class => new(name, version, minimumVersion);
}
