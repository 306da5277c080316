using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Qevm.Engine.Devices;
using Qevm.Qmp.Server;

namespace Qevm.Tests.Qmp.Server;

/// <summary>
/// One client session over <c>ServeStreamAsync</c>: however the input is cut into reads, the replies (and events,
/// without their timestamps) are the same, byte for byte.
/// </summary>
public sealed class QmpChunkingTests
{
    // Well-formed, malformed, mistyped and QEMU-extension messages, some with no whitespace between them.
    private static readonly string[] Pool =
    [
        """{"execute": "query-status", "id": 1}""",
        """{"execute": "stop"}""",
        """{"execute": "cont", "id": "c"}""",
        """{"execute": "query-version"}""",
        """{"execute": not}""",
        """{"execute": "stop",}""",
        """{"execute": @}""",
        """{"execute": "query-status", "id": 1e}""",
        """{"execute": 'query-status', 'id': 'x\'y'}""",
        """{"execute": "xen-save-devices-state", "arguments": {"filename": 17}}""",
        """{"execute": "frobnicate", "id": [1, {"a": "}{"}]}""",
        """[1 2]""",
        """42 """,
        """{"execute": "query-status", "id": "é ✓"}""",
        "\n",
    ];

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static async Task<string> SessionAsync(byte[] input, IReadOnlyList<int> chunks)
    {
        var server = new QmpServer(new SampleMachine().Registry);
        var stream = new ChunkedDuplexStream(input, chunks);
        await server.ServeStreamAsync(stream, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        // Events carry the time they happened: everything else must be equal.
        var lines = Encoding.UTF8.GetString(stream.Written).Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(l =>
            {
                var node = JsonNode.Parse(l)!.AsObject();
                node.Remove("timestamp");
                return node.ToJsonString(Relaxed);
            });
        return string.Join("\n", lines);
    }

    [Fact]
    public async Task OneRead_AndByteByByte_GiveTheSameReplies()
    {
        var input = Encoding.UTF8.GetBytes("""{"execute": "qmp_capabilities"}""" + string.Concat(Pool));
        var whole = await SessionAsync(input, []);
        Assert.Equal(whole, await SessionAsync(input, [1]));
        // The greeting, the negotiation and a reply per message (two for the stray '@'), events included.
        Assert.Contains("\"desc\":\"JSON parse error, invalid keyword 'not'\"", whole, StringComparison.Ordinal);
        Assert.Contains("\"desc\":\"JSON parse error, stray '@'\"", whole, StringComparison.Ordinal);
        Assert.Contains("{\"event\":\"STOP\"}", whole, StringComparison.Ordinal);
        Assert.Contains("{\"return\":{\"status\":\"running\",\"singlestep\":false,\"running\":true},\"id\":\"x'y\"}", whole, StringComparison.Ordinal);
    }

    [Fact]
    public void AnyChunkingOfTheInput_GivesTheSameReplies() =>
        Gen.Select(Gen.Int[0, Pool.Length - 1].Array[1, 12], Gen.Int[1, 40].Array[1, 8]).Sample((picks, chunks) =>
        {
            var input = Encoding.UTF8.GetBytes("""{"execute": "qmp_capabilities"}""" + string.Concat(picks.Select(i => Pool[i])));
            var whole = SessionAsync(input, []).GetAwaiter().GetResult();
            var chunked = SessionAsync(input, chunks).GetAwaiter().GetResult();
            Assert.Equal(whole, chunked);
        }, iter: 200);
}
