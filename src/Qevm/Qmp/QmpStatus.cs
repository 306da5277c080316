namespace Qevm.Qmp;

/// <summary>The reply to <c>query-status</c>.</summary>
/// <param name="Status">QEMU's run state: <c>running</c>, <c>paused</c>, <c>prelaunch</c>, <c>inmigrate</c>, <c>postmigrate</c>, ...</param>
/// <param name="Running">Whether the guest's CPUs run.</param>
public sealed record QmpStatus(string Status, bool Running);
