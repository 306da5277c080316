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
    public override VmStateDescription Describe() => Vmsd.Description;

    /// <summary>Called after a load replaced the state, with the state it had before.</summary>
    protected virtual void OnLoaded(TState previous)
    {
    }

    internal override bool IsNeeded() => Vmsd.IsNeeded(State);

    internal override VmStruct Capture() => VmStateCodec.Capture(Vmsd.Description, State);

    internal override object BeginLoad() => State.Clone();

    internal override void Load(object staged, ReadOnlySpan<byte> payload, long payloadOffset, int versionId)
    {
        int consumed = Vmsd.Load((TState)staged, payload, payloadOffset, versionId);
        if (consumed < payload.Length)
            throw new VmStateFormatException(VmStateError.BadFooter, payloadOffset + consumed,
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the section footer where the data of '{Vmsd.Name}' ends ({consumed} bytes)"),
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{payload.Length - consumed} more byte(s) of section data"));
    }


    internal override void Commit(object staged)
    {
        var previous = State;
        State = (TState)staged;
        OnLoaded(previous);
    }
}
