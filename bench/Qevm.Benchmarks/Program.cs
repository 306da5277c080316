using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace Qevm.Benchmarks;

/// <summary>Micro-benchmarks of the reader, the field decoder and the encoder on the project's fixtures.</summary>
[MemoryDiagnoser]
public class StreamBenchmarks
{
    private byte[] _stream = [];
    private byte[] _deviceState = [];
    private VmStateDescription _cpu = null!;
    private byte[] _cpuData = [];
    private VmStruct _cpuTree = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dir = FindFixtures();
        _stream = File.ReadAllBytes(Path.Combine(dir, "x86-pc", "full.mig"));
        _deviceState = File.ReadAllBytes(Path.Combine(dir, "x86-pc", "device.state"));
        var dump = StateDump.Read(new MemoryStream(_stream));
        var cpu = dump.Sections.First(s => s.Header.Idstr == "cpu");
        _cpu = cpu.Root!.Description;
        _cpuData = cpu.Payload;
        _cpuTree = cpu.Root;
    }

    /// <summary>Record table of a migration stream (RAM records walked, pages skipped).</summary>
    [Benchmark]
    public StreamInfo ReadStream() => StreamInfo.Read(new MemoryStream(_stream, writable: false));

    /// <summary>Record table of a device-state file (footer-delimited sections).</summary>
    [Benchmark]
    public StreamInfo ReadDeviceState() => StreamInfo.Read(new MemoryStream(_deviceState, writable: false));

    /// <summary>Decoding the x86 cpu section (1882 bytes) with its trailer description.</summary>
    [Benchmark]
    public VmStruct DecodeCpu() => VmStateCodec.Decode(_cpu, _cpuData, 0);

    /// <summary>Encoding the decoded cpu section.</summary>
    [Benchmark]
    public byte[] EncodeCpu() => VmStateCodec.Encode(_cpuTree);

    /// <summary>Re-encoding the whole stream record by record.</summary>
    [Benchmark]
    public long ConvertStream()
    {
        var output = new MemoryStream(_stream.Length);
        StreamCopier.Copy(new MemoryStream(_stream, writable: false), output);
        return output.Length;
    }

    private static string FindFixtures()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !Directory.Exists(Path.Combine(d.FullName, "tests", "fixtures"))) d = d.Parent;
        return Path.Combine(d?.FullName ?? throw new DirectoryNotFoundException("tests/fixtures"), "tests", "fixtures");
    }
}

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project bench/Qevm.Benchmarks</c>.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
