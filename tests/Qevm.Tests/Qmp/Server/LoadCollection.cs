namespace Qevm.Tests.Qmp.Server;

/// <summary>
/// Tests that load the machine on purpose (many clients, thousands of commands) run alone, so they do not starve
/// the suite's timing-sensitive tests (e.g. the QMP client's timeouts) on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection
{
    public const string Name = "Load (runs alone)";
}
