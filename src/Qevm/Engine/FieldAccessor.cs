namespace Qevm.Engine;

/// <summary>
/// A reference to one member of a device's state, e.g. <c>static (RtcState s) => ref s.CmosIndex</c>: one
/// accessor serves save (read) and load (write), without reflection (AOT-safe).
/// </summary>
/// <typeparam name="TState">The state class.</typeparam>
/// <typeparam name="TField">The member's type.</typeparam>
public delegate ref TField FieldAccessor<in TState, TField>(TState state);
