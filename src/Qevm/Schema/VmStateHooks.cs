namespace Qevm.Schema;

/// <summary>The hooks of a C#-declared description, run by the interpreter around a save or a load of its state.</summary>
internal sealed record VmStateHooks(Action<object>? PreSave, Action<object>? PreLoad, Action<object, int>? PostLoad);
