namespace Qevm.Engine;

/// <summary>
/// The plain state of a device model, kept apart from the device so that a load can fill a copy and replace the
/// state only when the whole file has been read (on error, every device keeps its previous state).
/// </summary>
/// <typeparam name="TSelf">The state class itself.</typeparam>
public interface IDeviceState<TSelf> where TSelf : class, IDeviceState<TSelf>
{
    /// <summary>A deep copy: arrays and nested state objects are copied, not shared.</summary>
    TSelf Clone();
}
