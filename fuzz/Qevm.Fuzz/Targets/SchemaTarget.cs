namespace Qevm.Fuzz.Targets;

/// <summary>
/// Schema JSON: one input is parsed as trailer JSON, as <c>-dump-vmstate</c> output and as a catalogue; each
/// schema that parses then decodes a real device-state file (x86-pc), so broken descriptions reach the decoder.
/// Only <see cref="VmStateFormatException"/> may come out.
/// </summary>
public static class SchemaTarget
{
    private static readonly Func<byte[], ISchemaSource>[] Parsers =
    [
        data => Trailer.Parse(data),
        data => DumpVmStateSchema.Parse(data),
        data => SchemaCatalogue.Parse(data),
    ];

    /// <summary>Runs one input; throws only when the error contract is broken.</summary>
    public static void Run(byte[] data)
    {
        foreach (var parse in Parsers)
        {
            try
            {
                var schema = parse(data);
                StateDump.Read(new MemoryStream(DeviceState.Value, writable: false), [schema]);
            }
            catch (VmStateFormatException)
            {
                // the error contract
            }
        }
    }

    // tests/fixtures/x86-pc/device.state, embedded so that the fuzzer and the suite decode the same file.
    private static readonly Lazy<byte[]> DeviceState = new(() =>
    {
        using var s = typeof(SchemaTarget).Assembly.GetManifestResourceStream("x86-pc.device.state")
            ?? throw new InvalidOperationException("the embedded x86-pc.device.state is missing");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    });
}
