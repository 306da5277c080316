using System.Buffers;

namespace Qevm.Engine;

/// <summary>A device model: a description bound to a state class, and the current state.</summary>
/// <typeparam name="TState">The plain state class the description's fields are bound to.</typeparam>
public class VmStateDevice<TState> : VmStateDevice where TState : class, IDeviceState<TState>
{
    /// <summary>Creates the device with its description and initial (reset) state.</summary>
    public VmStateDevice(Vmsd<TState> vmsd, TState state)
    {
        ArgumentNullException.ThrowIfNull(vmsd);
        ArgumentNullException.ThrowIfNull(state);
        Vmsd = vmsd;
        State = state;
    }

    /// <summary>The description.</summary>
    public Vmsd<TState> Vmsd { get; }

    /// <summary>The current state. A load replaces it as a whole, and only when the whole file loaded.</summary>
    public TState State { get; private set; }

    /// <inheritdoc/>
    public override string VmsdName => Vmsd.Name;

    /// <inheritdoc/>
    public override int VersionId => Vmsd.VersionId;

    /// <inheritdoc/>
    public override int Priority => Vmsd.Priority;

    /// <inheritdoc/>
    public override VmStateDescription Describe() => Vmsd.Describe(State);

    /// <summary>Called after a load replaced the state, with the state it had before.</summary>
    protected virtual void OnLoaded(TState previous)
    {
    }

    internal override bool IsNeeded() => Vmsd.IsNeeded(State);

    internal override void Save(ArrayBufferWriter<byte> output, QemuJsonWriter? json) => Vmsd.Save(State, output, json);

    internal override object BeginLoad() => State.Clone();

    internal override void Load(object staged, ReadOnlySpan<byte> payload, long payloadOffset, int versionId)
    {
        var input = new LoadInput(payload, payloadOffset);
        Vmsd.Load((TState)staged, input, versionId);
        if (input.Remaining > 0)
            throw new VmStateFormatException(VmStateError.BadFooter, input.Position,
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the section footer where the data of '{Vmsd.Name}' ends ({input.Consumed} bytes)"),
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{input.Remaining} more byte(s) of section data"));
    }

    // What a load accepts: the fields as saved now, and every subsection, each optional (the peek protocol, §8.2).
    internal override VmStateDescription DescribeForLoad() => Loadable(Vmsd, State.Clone());

    private static VmStateDescription Loadable(Vmsd<TState> vmsd, TState state)
    {
        var d = vmsd.Describe(state);
        return new VmStateDescription(d.Name, d.VersionId, d.Fields, [.. vmsd.Subsections.Select(s => Loadable(s, state))])
        {
            MinimumVersionId = d.MinimumVersionId,
            Origin = d.Origin,
            SubsectionsOptional = true,
        };
    }

    internal override void Commit(object staged)
    {
        var previous = State;
        State = (TState)staged;
        OnLoaded(previous);
    }
}
