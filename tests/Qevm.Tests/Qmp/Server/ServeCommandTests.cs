using System.Net.Sockets;
using System.Text.Json.Nodes;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Qmp.Server;

/// <summary>
/// <c>qevm serve</c> driven over its unix socket as a plain QMP client would: negotiation, commands, events, QMP
/// errors in QEMU's words, a save that <c>qevm check</c>/<c>dump</c>/<c>set</c> work on, a load that changes the
/// devices, a corrupted load that changes nothing, two clients at once.
/// </summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-serve-").FullName;
    private readonly string _schema = Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "schema.json.gz");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Cli(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    private (Task<int> Server, string Socket) Serve(params string[] extra)
    {
        var socket = Path.Combine(_dir, "qmp.sock");
        var server = Task.Run(() => Qevm.Cli.Program.Run(["serve", "--socket", socket, .. extra], new StringWriter(), new StringWriter()));
        for (int i = 0; i < 200 && !File.Exists(socket); i++)
        {
            if (server.IsCompleted) Assert.Fail("qevm serve exited early");
            Thread.Sleep(50);
        }
        Assert.True(File.Exists(socket), "the socket did not appear");
        return (server, socket);
    }

    private static void AssertError(JsonNode answer, string errorClass, string desc)
    {
        Assert.Null(answer["return"]);
        Assert.Equal(errorClass, (string)answer["error"]!["class"]!);
        Assert.Equal(desc, (string)answer["error"]!["desc"]!);
    }

    private static string Save(RawQmpClient c, string path)
    {
        var answer = c.Execute($$$"""{"execute": "xen-save-devices-state", "arguments": {"filename": "{{{path}}}", "live": false}}""");
        Assert.Equal("{}", answer["return"]!.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Serve_NegotiateSaveEditLoad_AndRefuseACorruptedFile()
    {
        var (server, socket) = Serve();
        using var a = new RawQmpClient(socket);
        Assert.Equal(7, (int)a.Greeting["QMP"]!["version"]!["qemu"]!["major"]!);
        Assert.IsType<JsonArray>(a.Greeting["QMP"]!["capabilities"]);

        AssertError(a.Execute("""{"execute": "query-status"}"""), "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
        var ok = a.Execute("""{"execute": "qmp_capabilities", "id": 1}""");
        Assert.Equal("{}", ok["return"]!.ToJsonString());
        Assert.Equal(1, (int)ok["id"]!);

        var names = a.Execute("""{"execute": "query-commands"}""")["return"]!.AsArray().Select(n => (string)n!["name"]!).ToList();
        foreach (var n in (string[])["qmp_capabilities", "query-version", "query-commands", "query-status", "stop", "cont", "xen-save-devices-state", "xen-load-devices-state", "quit"])
            Assert.Contains(n, names);
        var status = a.Execute("""{"execute": "query-status", "id": "s1"}""");
        Assert.Equal("running", (string)status["return"]!["status"]!);
        Assert.True((bool)status["return"]!["running"]!);
        Assert.Equal("s1", (string)status["id"]!);

        // Saving a running guest stops it and resumes it, as QEMU does.
        var first = Save(a, Path.Combine(_dir, "first.state"));
        Assert.Equal(["STOP", "RESUME"], a.Events.Select(e => (string)e["event"]!));
        Assert.True((long)a.Events[0]["timestamp"]!["seconds"]! > 1_600_000_000);
        a.Events.Clear();

        var (code, output, err) = Cli("check", first);
        Assert.True(code == 0, err);
        Assert.Contains("valid device-state, 4 section records, footers yes", output, StringComparison.Ordinal);
        (code, output, err) = Cli("dump", first, "--schema", _schema);
        Assert.True(code == 0, err);
        Assert.Contains("mc146818rtc#0/cmos_index = 0 (0x0)", output, StringComparison.Ordinal);
        Assert.Contains("mc146818rtc#0/base_rtc = 0 (0x0)", output, StringComparison.Ordinal);

        var edited = Path.Combine(_dir, "edited.state");
        (code, _, err) = Cli("set", first, "-o", edited, "--schema", _schema, "mc146818rtc#0/base_rtc=0x1122334455667788", "mc146818rtc#0/cmos_index=0x0e");
        Assert.True(code == 0, err);

        AssertError(a.Execute($$$"""{"execute": "xen-load-devices-state", "arguments": {"filename": "{{{edited}}}"}}"""), "GenericError", "Cannot update device state while vm is running");
        Assert.Equal("{}", a.Execute("""{"execute": "stop"}""")["return"]!.ToJsonString());
        Assert.Equal("STOP", (string)Assert.Single(a.Events)["event"]!);
        Assert.Equal("paused", (string)a.Execute("""{"execute": "query-status"}""")["return"]!["status"]!);
        var load = a.Execute($$$"""{"execute": "xen-load-devices-state", "arguments": {"filename": "{{{edited}}}"}, "id": 42}""");
        Assert.Equal("{}", load["return"]!.ToJsonString());
        Assert.Equal(42, (int)load["id"]!);

        // The devices changed: a second save shows the new values (and is the edited file, byte for byte).
        var second = Save(a, Path.Combine(_dir, "second.state"));
        (code, output, _) = Cli("dump", second, "--schema", _schema);
        Assert.Equal(0, code);
        Assert.Contains("mc146818rtc#0/base_rtc = 1234605616436508552 (0x1122334455667788)", output, StringComparison.Ordinal);
        Assert.Contains("mc146818rtc#0/cmos_index = 14 (0xe)", output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(edited), File.ReadAllBytes(second));

        // A corrupted file: the first PIC's values changed, the last section's footer names another section.
        var bytes = File.ReadAllBytes(second);
        var info = StreamInfo.Read(new MemoryStream(bytes));
        bytes[(int)info.Sections[0].PayloadOffset + 5] ^= 0xFF;
        var pit = info.Sections.Single(s => s.Header.Idstr == "i8254");
        bytes[(int)pit.FooterOffset!.Value + 4] ^= 0x40;
        var corrupted = Path.Combine(_dir, "corrupted.state");
        File.WriteAllBytes(corrupted, bytes);
        var refused = a.Execute($$$"""{"execute": "xen-load-devices-state", "arguments": {"filename": "{{{corrupted}}}"}}""");
        Assert.Equal("GenericError", (string)refused["error"]!["class"]!);
        var desc = (string)refused["error"]!["desc"]!;
        Assert.StartsWith("An IO error has occurred: ", desc, StringComparison.Ordinal);
        Assert.Contains($"Mismatched section id in footer for i8254 - read 0x43 expected 0x3", desc, StringComparison.Ordinal);
        var third = Save(a, Path.Combine(_dir, "third.state"));
        Assert.Equal(File.ReadAllBytes(second), File.ReadAllBytes(third));

        Assert.Equal("{}", a.Execute("""{"execute": "quit"}""")["return"]!.ToJsonString());
        Assert.Equal(0, await server.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task Serve_ErrorsInQemusWords_TwoClients_TheConnectionKeepsWorking()
    {
        var (server, socket) = Serve("--max-message", "4096");
        using var a = new RawQmpClient(socket);
        using var b = new RawQmpClient(socket);
        Assert.Equal("{}", a.Execute("""{"execute": "qmp_capabilities"}""")["return"]!.ToJsonString());
        // b has not negotiated yet: it gets no events, and its commands are refused.
        AssertError(b.Execute("""{"execute": "stop"}"""), "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
        Assert.Equal("{}", b.Execute("""{"execute": "qmp_capabilities"}""")["return"]!.ToJsonString());
        AssertError(b.Execute("""{"execute": "qmp_capabilities"}"""), "CommandNotFound", "Capabilities negotiation is already complete, command ignored");

        var malformed = b.Execute("""{"execute": }""");
        Assert.Equal("GenericError", (string)malformed["error"]!["class"]!);
        Assert.StartsWith("JSON parse error, ", (string)malformed["error"]!["desc"]!, StringComparison.Ordinal);
        Assert.Null(malformed["id"]);
        AssertError(b.Execute("""{"execute": "frobnicate", "id": 3}"""), "CommandNotFound", "The command frobnicate has not been found");
        b.SendBytes([.. "{\"execute\": \""u8, 0xC3, 0x28, .. "\"}"u8]);
        AssertError(b.Answer(), "GenericError", "JSON parse error, invalid UTF-8 sequence in string");
        AssertError(b.Execute("""{"execute": "xen-save-devices-state", "arguments": {"filename": 17}}"""), "GenericError", "Invalid parameter type for 'filename', expected: string");
        AssertError(b.Execute($$$"""{"execute": "xen-save-devices-state", "arguments": {"filename": "{{{_dir}}}/x", "live": "yes"}}"""), "GenericError", "Invalid parameter type for 'live', expected: boolean");
        AssertError(b.Execute("""{"execute": "xen-load-devices-state", "arguments": {}}"""), "GenericError", "Parameter 'filename' is missing");
        AssertError(b.Execute("""{"execute": "query-status", "arguments": {"verbose": true}}"""), "GenericError", "Parameter 'verbose' is unexpected");
        AssertError(b.Execute("""{"exec": "query-status"}"""), "GenericError", "QMP input member 'exec' is unexpected");
        AssertError(b.Execute("""{"arguments": {}}"""), "GenericError", "QMP input lacks member 'execute'");
        AssertError(b.Execute("""[{"execute": "query-status"}]"""), "GenericError", "QMP input must be a JSON object");
        AssertError(b.Execute($$$"""{"execute": "xen-save-devices-state", "arguments": {"filename": "{{{_dir}}}/no/such/dir/x"}}"""), "GenericError", $"Unable to open {_dir}/no/such/dir/x: No such file or directory");
        b.Events.Clear();
        var big = "{\"execute\": \"query-status\", \"id\": \"" + new string('x', 5000) + "\"}";
        AssertError(b.Execute(big), "GenericError", "JSON token size limit exceeded");
        // After each error the connection keeps serving; a message split over two writes is one message.
        b.SendRaw("""{"execute": "query-""");
        Thread.Sleep(50);
        var status = b.Execute("""status", "id": "after"}""");
        Assert.Equal("after", (string)status["id"]!);
        Assert.Equal("running", (string)status["return"]!["status"]!);

        // Both clients are served at once, and an event reaches every negotiated client.
        Assert.Equal("{}", a.Execute("""{"execute": "stop"}""")["return"]!.ToJsonString());
        Assert.Equal("STOP", (string)b.Read()["event"]!);
        Assert.Equal("paused", (string)b.Execute("""{"execute": "query-status"}""")["return"]!["status"]!);
        Assert.Equal("{}", b.Execute("""{"execute": "cont"}""")["return"]!.ToJsonString());
        Assert.Equal("RESUME", (string)a.Read()["event"]!);
        Assert.Equal(7, (int)a.Execute("""{"execute": "query-version"}""")["return"]!["qemu"]!["major"]!);

        using (var c = new RawQmpClient(socket))
            Assert.Equal("{}", c.Execute("""{"execute": "qmp_capabilities"}""")["return"]!.ToJsonString());
        Assert.Equal("{}", b.Execute("""{"execute": "quit"}""")["return"]!.ToJsonString());
        Assert.Equal(0, await server.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task QevmQmp_AgainstQevmServe_SaveStopLoadStatus()
    {
        var (server, socket) = Serve();
        var file = Path.Combine(_dir, "dev.state");
        var (code, output, err) = Cli("qmp", socket, "status");
        Assert.True(code == 0, err);
        Assert.Equal("running", output.Trim());
        (code, _, err) = Cli("qmp", socket, "save-devices", file);
        Assert.True(code == 0, err);
        Assert.Equal(0, Cli("check", file).Code);
        (code, _, err) = Cli("qmp", socket, "load-devices", file);
        Assert.Equal(1, code);
        Assert.Contains("GenericError: Cannot update device state while vm is running", err, StringComparison.Ordinal);
        Assert.Equal(0, Cli("qmp", socket, "exec", """{"execute": "stop"}""").Code);
        Assert.Equal("paused", Cli("qmp", socket, "status").Out.Trim());
        (code, _, err) = Cli("qmp", socket, "load-devices", file);
        Assert.True(code == 0, err);
        Assert.Equal(0, Cli("qmp", socket, "exec", """{"execute": "quit"}""").Code);
        Assert.Equal(0, await server.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Serve_RefusesALiveServersSocketAndOtherFiles_ReplacesAStaleSocket()
    {
        var (server, socket) = Serve();
        var (code, _, err) = Cli("serve", "--socket", socket);
        Assert.Equal(2, code);
        Assert.Contains("another server listens on", err, StringComparison.Ordinal);
        using (var c = new RawQmpClient(socket))
            Assert.Equal("{}", c.Execute("""{"execute": "qmp_capabilities"}""")["return"]!.ToJsonString());

        var notASocket = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(notASocket, "keep me");
        (code, _, err) = Cli("serve", "--socket", notASocket);
        Assert.Equal(2, code);
        Assert.Contains("exists and is not a socket", err, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(notASocket));

        // A socket file nobody listens on (bound, not listening: connections are refused) is replaced.
        var stale = Path.Combine(_dir, "stale.sock");
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(stale));
        Assert.True(File.Exists(stale));
        var second = Task.Run(() => Qevm.Cli.Program.Run(["serve", "--socket", stale], new StringWriter(), new StringWriter()));
        using (var c = ConnectWithRetry(stale))
        {
            Assert.Equal("{}", c.Execute("""{"execute": "qmp_capabilities"}""")["return"]!.ToJsonString());
            c.Execute("""{"execute": "quit"}""");
        }
        Assert.Equal(0, await second.WaitAsync(TimeSpan.FromSeconds(20)));

        using (var c = new RawQmpClient(socket))
        {
            c.Execute("""{"execute": "qmp_capabilities"}""");
            c.Execute("""{"execute": "quit"}""");
        }
        Assert.Equal(0, await server.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    private static RawQmpClient ConnectWithRetry(string path)
    {
        for (int i = 0; ; i++)
        {
            try
            {
                return new RawQmpClient(path);
            }
            catch (SocketException) when (i < 200)
            {
                Thread.Sleep(50);
            }
        }
    }

    [Fact]
    public async Task RealQemuFile_RefusedByDefault_LoadsWithSkipUnknownSections()
    {
        var real = Path.Combine(CorpusFiles.FixturesDir, "x86-pc", "device.state");
        var (server, socket) = Serve("--paused");
        using (var c = new RawQmpClient(socket))
        {
            c.Execute("""{"execute": "qmp_capabilities"}""");
            var refused = c.Execute($$$"""{"execute": "xen-load-devices-state", "arguments": {"filename": "{{{real}}}"}}""");
            Assert.Equal("GenericError", (string)refused["error"]!["class"]!);
            Assert.Contains("Unknown savevm section or instance 'timer' 0. Make sure that your current VM setup matches your saved VM setup", (string)refused["error"]!["desc"]!, StringComparison.Ordinal);
            c.Execute("""{"execute": "quit"}""");
        }
        Assert.Equal(0, await server.WaitAsync(TimeSpan.FromSeconds(20)));

        (server, socket) = Serve("--paused", "--skip-unknown-sections");
        using (var c = new RawQmpClient(socket))
        {
            c.Execute("""{"execute": "qmp_capabilities"}""");
            Assert.Equal("{}", c.Execute($$$"""{"execute": "xen-load-devices-state", "arguments": {"filename": "{{{real}}}"}}""")["return"]!.ToJsonString());
            var saved = Save(c, Path.Combine(_dir, "from-qemu.state"));
            // The four sections are QEMU's own bytes.
            var a = File.ReadAllBytes(saved);
            var b = File.ReadAllBytes(real);
            var ours = StreamInfo.Read(new MemoryStream(a));
            var theirs = StreamInfo.Read(new MemoryStream(b));
            foreach (var sec in ours.Sections)
            {
                var q = theirs.Sections.Single(t => t.Header.Idstr == sec.Header.Idstr && t.Header.InstanceId == sec.Header.InstanceId);
                Assert.Equal(b.AsSpan((int)q.PayloadOffset, (int)q.PayloadLength).ToArray(), a.AsSpan((int)sec.PayloadOffset, (int)sec.PayloadLength).ToArray());
            }
            c.Execute("""{"execute": "quit"}""");
        }
        Assert.Equal(0, await server.WaitAsync(TimeSpan.FromSeconds(20)));
    }
}
