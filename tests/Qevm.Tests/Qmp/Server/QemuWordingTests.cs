using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Qevm.Engine.Devices;
using Qevm.Qmp.Server;
using Qevm.Tests.Interop;
using Xunit.Abstractions;

namespace Qevm.Tests.Qmp.Server;

/// <summary>
/// The same malformed and mistyped QMP lines sent to a real QEMU 7.2 and to <see cref="QmpServer"/>: every reply's
/// error class and description must be equal (QEMU's JSON parser and QAPI visitor wording).
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuWordingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-wording-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Each line is followed by a query-status with id "end"; every reply before that one is compared.
    public static readonly string[] Inputs =
    [
        // The issue's three.
        """{"execute": not}""",
        """{"execute": "stop",}""",
        """{"execute": "xen-save-devices-state", "arguments": {"filename": 17}}""",
        // json-parser.c's other faults.
        """{"execute": }""",
        """{"execute" "stop"}""",
        """{"execute": "stop" "id": 1}""",
        """[1 2]""",
        """[1,]""",
        """{1: 2}""",
        """{true: 2}""",
        """{"execute": "stop", "execute": "cont"}""",
        """{"execute": "a\qb"}""",
        """{"execute": "\uZZZZ"}""",
        """{"execute": tru}""",
        """{"execute": nul, "id": 1}""",
        """{"execute": @}""",
        """{"execute": "query-status", "id": 01}""",
        """{"execute": "query-status", "id": 1e}""",
        """{"execute": "query-status", "id": 1.}""",
        """{"execute": "query-status", "id": -}""",
        """{"execute": "query-status", "id": True}""",
        """{"execute": 'query-status', 'id': 'single \' quoted'}""",
        """{"execute": "query-status", "id": [1, {"a": [true, false, null, -0.5e3]}]}""",
        """}""",
        """]""",
        """42""",
        "\"a string\"",
        "a string",
        """{"execute": "query-status", "id": [-0, 0.1, 1e300, 18446744073709551615, 18446744073709551616, -9223372036854775809]}""",
        // qmp-dispatch.c's checks and the QAPI visitor's.
        """{"execute": 1}""",
        """{"execute": "query-status", "arguments": []}""",
        """{"exec": "query-status"}""",
        """{"arguments": {}}""",
        """[{"execute": "query-status"}]""",
        """{"execute": "frobnicate", "id": 3}""",
        """{"execute": "stop", "arguments": {"foo": 1}}""",
        """{"execute": "xen-load-devices-state"}""",
        """{"execute": "xen-load-devices-state", "arguments": {"filename": null}}""",
        """{"execute": "xen-save-devices-state", "arguments": {"filename": "/nonexistent/dir/x", "live": "yes"}}""",
        """{"execute": "xen-save-devices-state", "arguments": {"filename": ["a"]}}""",
        """{"execute": "query-status", "arguments": {"verbose": true}}""",
        """{"execute": "qmp_capabilities"}""",
    ];

    // Bytes that are not UTF-8: inside a string (the parser's check) and where the lexer stops (0xFF).
    public static readonly byte[][] ByteInputs =
    [
        [.. "{\"execute\": \"a"u8, 0xC3, 0x28, .. "\"}"u8],
        [.. "{\"execute\": \""u8, 0xFF, .. "\"}"u8],
        [.. "{\"execute\": \"a"u8, 0xED, 0xA0, 0x80, .. "\"}"u8],
        [.. "{\"execute\": \"a"u8, 0x01, .. "\"}"u8],
    ];

    private static List<string> Replies(RawQmpClient c, string input) => Replies(c, Encoding.UTF8.GetBytes(input));

    private static List<string> Replies(RawQmpClient c, byte[] input)
    {
        c.SendBytes([.. input, .. "\n{\"execute\": \"query-status\", \"id\": \"end\"}\n"u8]);
        var replies = new List<string>();
        while (true)
        {
            var m = c.Answer();
            if (m["id"]?.ToJsonString() == "\"end\"") return replies;
            // A return's value may differ (QEMU -S says "prelaunch", the server "paused"); its id must not.
            replies.Add(m["error"] is { } e ? $"{(string)e["class"]!}: {(string)e["desc"]!}" : "return, id " + m["id"]?.ToJsonString());
        }
    }

    [Fact]
    public async Task MalformedAndMistypedLines_AnsweredInQemusWords()
    {
        var socket = Path.Combine(_dir, "client.sock");
        using var qemu = QemuProcess.Start(["-M", "pc-i440fx-7.2", "-m", "16", "-S", "-qmp", $"unix:{socket},server=on,wait=off"]);
        using var real = new RawQmpClient(socket);
        real.Execute("""{"execute": "qmp_capabilities"}""");

        var serveSocket = Path.Combine(_dir, "serve.sock");
        var server = new QmpServer(new SampleMachine().Registry, new QmpServerOptions { StartPaused = true });
        using var stop = new CancellationTokenSource();
        var run = server.RunAsync(new UnixDomainSocketEndPoint(serveSocket), stop.Token);
        await server.Listening;
        using var ours = new RawQmpClient(serveSocket);
        ours.Execute("""{"execute": "qmp_capabilities"}""");

        var differ = new List<string>();
        foreach (var input in Inputs)
        {
            var expected = Replies(real, input);
            var actual = Replies(ours, input);
            output.WriteLine($"{input}\n  QEMU:  {string.Join(" | ", expected)}\n  serve: {string.Join(" | ", actual)}");
            if (!expected.SequenceEqual(actual)) differ.Add($"{input}: QEMU [{string.Join(" | ", expected)}] serve [{string.Join(" | ", actual)}]");
        }
        foreach (var input in ByteInputs)
        {
            var expected = Replies(real, input);
            var actual = Replies(ours, input);
            output.WriteLine($"{Convert.ToHexString(input)}\n  QEMU:  {string.Join(" | ", expected)}\n  serve: {string.Join(" | ", actual)}");
            if (!expected.SequenceEqual(actual)) differ.Add($"{Convert.ToHexString(input)}: QEMU [{string.Join(" | ", expected)}] serve [{string.Join(" | ", actual)}]");
        }
        int total = Inputs.Length + ByteInputs.Length;
        output.WriteLine($"{total - differ.Count} of {total} inputs answered alike");
        Assert.True(differ.Count == 0, string.Join("\n", differ));
        await stop.CancelAsync();
        await run;
    }
}
