using System.Text.Json;
using Qevm.Engine.Devices;
using Qevm.Qmp.Server;

namespace Qevm.Fuzz.Targets;

/// <summary>
/// QMP input into the server's per-connection logic (<c>QmpServer.ServeStreamAsync</c>) over the sample machine:
/// the session ends when the input does, nothing escapes, and every line the server writes is one JSON object.
/// Files are confined to a folder of this process's own, emptied after each input.
/// </summary>
public static class QmpTarget
{
    private static readonly string Files = Directory.CreateTempSubdirectory("qevm-fuzz-qmp-").FullName;

    /// <summary>Runs one input; throws only when the contract is broken.</summary>
    public static void Run(byte[] data)
    {
        var server = new QmpServer(new SampleMachine().Registry, new QmpServerOptions { FileDirectory = Files, MaxMessageBytes = 1 << 20 });
        var session = new Session(data);
        try
        {
            if (!server.ServeStreamAsync(session, CancellationToken.None).Wait(TimeSpan.FromSeconds(10)))
                throw new TimeoutException("the session did not end with its input");
        }
        finally
        {
            foreach (var f in Directory.EnumerateFiles(Files)) File.Delete(f);
        }
        var output = session.Written.ToArray();
        int start = 0;
        for (int i = 0; i + 1 < output.Length; i++)
        {
            if (output[i] != '\r' || output[i + 1] != '\n') continue;
            using (var doc = JsonDocument.Parse(output.AsMemory(start, i - start)))
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("a reply that is not a JSON object");
            start = i + 2;
        }
        if (start != output.Length) throw new InvalidDataException("output that does not end with CRLF");
    }

    // The client's side of the connection: reads give the input, then its end; writes are kept.
    private sealed class Session(byte[] input) : Stream
    {
        private readonly MemoryStream _in = new(input, writable: false);

        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _in.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (Written) Written.Write(buffer, offset, count);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
