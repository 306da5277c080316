using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qevm.Tests.Interop;

/// <summary>
/// A real QEMU process driven over QMP (a unix socket in a private temp folder), for interop tests.
/// Synchronous on purpose: one command at a time, asynchronous QMP events are skipped.
/// </summary>
/// <remarks>
/// Started as <c>BINARY -display none -nodefaults -accel tcg -qmp unix:TEMP/qmp.sock,server=on,wait=off EXTRA...</c>.
/// QEMU's stdout and stderr are collected in <see cref="Log"/>, which every failure message includes.
/// </remarks>
internal sealed class QemuProcess : IDisposable
{
    /// <summary>The binary used when none is given.</summary>
    public const string DefaultBinary = "qemu-system-x86_64";

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly Process _process;
    private readonly string _tempDirectory;
    private readonly StringBuilder _log = new();
    private readonly Lock _logLock = new();
    private Socket? _socket;
    private NetworkStream? _stream;
    private StreamReader? _reader;
    private bool _disposed;

    private QemuProcess(Process process, string tempDirectory, IReadOnlyList<string> arguments)
    {
        _process = process;
        _tempDirectory = tempDirectory;
        Arguments = arguments;
    }

    /// <summary>The full command line (binary first), for messages.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The private folder holding the QMP socket; deleted by <see cref="Dispose"/>.</summary>
    public string TempDirectory => _tempDirectory;

    /// <summary>QEMU's stdout and stderr so far, one line per line written.</summary>
    public string Log
    {
        get
        {
            lock (_logLock)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The QMP greeting (<c>{"QMP": {"version": ..., "capabilities": ...}}</c>).</summary>
    public JsonElement Greeting { get; private set; }

    public bool HasExited => _process.HasExited;

    // Waits for the process and for the end of its output, so that Log is complete.
    private bool HasExitedWithin(int milliseconds)
    {
        if (!_process.WaitForExit(milliseconds)) return false;
        _process.WaitForExit();
        return true;
    }

    /// <summary>The operating-system process id of QEMU.</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts QEMU, connects to its QMP socket (retrying for up to 10 s while the socket does not exist yet),
    /// reads the greeting and leaves capabilities negotiation mode.
    /// </summary>
    /// <exception cref="InvalidOperationException">QEMU exited early or QMP did not come up; the message holds QEMU's output.</exception>
    /// <param name="launcher">Words that run QEMU through another program (e.g. <c>chroot DIR qemu-system-x86_64</c>,
    /// see <see cref="QemuChroot"/>): the first is the program started, and <paramref name="binary"/> is ignored.</param>
    public static QemuProcess Start(IEnumerable<string> extraArgs, string? binary = null, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null)
    {
        ArgumentNullException.ThrowIfNull(extraArgs);
        string tempDirectory = Directory.CreateTempSubdirectory("qevm-qemu-").FullName;
        string socketPath = Path.Combine(tempDirectory, "qmp.sock");
        var arguments = new List<string>(launcher ?? [binary ?? DefaultBinary])
        {
            "-display", "none",
            "-nodefaults",
            "-accel", "tcg",
            "-qmp", $"unix:{socketPath},server=on,wait=off",
        };
        arguments.AddRange(extraArgs);

        var startInfo = new ProcessStartInfo(arguments[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = tempDirectory,
        };
        if (environment is not null)
        {
            foreach (var (name, value) in environment) startInfo.Environment[name] = value;
        }
        for (int i = 1; i < arguments.Count; i++)
        {
            startInfo.ArgumentList.Add(arguments[i]);
        }

        var process = new Process { StartInfo = startInfo };
        var qemu = new QemuProcess(process, tempDirectory, arguments);
        process.OutputDataReceived += qemu.OnOutput;
        process.ErrorDataReceived += qemu.OnOutput;
        try
        {
            try
            {
                process.Start();
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"Cannot start {arguments[0]}: {e.Message}", e);
            }

            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            qemu.Connect(socketPath);
            return qemu;
        }
        catch (Exception e)
        {
            // QEMU may go away while QMP comes up (a refused -incoming load): then give its output with the error.
            bool exited = e is InvalidOperationException or IOException or System.Net.Sockets.SocketException && qemu.HasExitedWithin(5000);
            string log = exited ? qemu.Log : "";
            qemu.Dispose();
            if (exited) throw new InvalidOperationException(e.Message + "\nQEMU output:\n" + log, e);
            throw;
        }
    }

    /// <summary>
    /// Starts a QEMU with <c>-S -incoming "exec:cat FILE"</c> and waits for the load: true when QEMU reports
    /// completed; false when it reports failed or exits on the failed load (often before or while QMP answers),
    /// with QEMU's output either way.
    /// </summary>
    public static (bool Completed, string Log) LoadIncoming(IEnumerable<string> machineArgs, string file) =>
        LoadIncoming(machineArgs, file, args => Start(args));

    /// <summary>As <see cref="LoadIncoming(IEnumerable{string}, string)"/>, with QEMU started by <paramref name="start"/>
    /// (another QEMU version).</summary>
    public static (bool Completed, string Log) LoadIncoming(IEnumerable<string> machineArgs, string file, Func<IEnumerable<string>, QemuProcess> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        QemuProcess? q = null;
        try
        {
            q = start([.. machineArgs, "-S", "-incoming", $"exec:cat '{file}'"]);
            string status = q.WaitForMigrationStatus(TimeSpan.FromSeconds(30), "completed", "failed");
            return (status == "completed", q.Log);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.Net.Sockets.SocketException)
        {
            q?.HasExitedWithin(10_000);
            return (false, e.Message + "\n" + q?.Log);
        }
        finally
        {
            q?.Dispose();
        }
    }

    /// <summary>
    /// Runs a QMP command and returns its <c>"return"</c> value (a clone, valid after this object is disposed).
    /// </summary>
    /// <exception cref="InvalidOperationException">QMP answered with an error (its class and description are in the
    /// message), or the connection closed.</exception>
    public JsonElement Execute(string command, JsonObject? arguments = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var message = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            message["arguments"] = arguments.DeepClone();
        }

        Send(message.ToJsonString());
        while (true)
        {
            using JsonDocument reply = ReadMessage($"the reply to {command}");
            JsonElement root = reply.RootElement;
            if (root.TryGetProperty("event", out _))
            {
                continue;
            }

            if (root.TryGetProperty("error", out JsonElement error))
            {
                string errorClass = error.TryGetProperty("class", out JsonElement c) ? c.ToString() : "?";
                string description = error.TryGetProperty("desc", out JsonElement d) ? d.ToString() : "?";
                throw new InvalidOperationException($"QMP {command} failed: {errorClass}: {description}");
            }

            if (root.TryGetProperty("return", out JsonElement result))
            {
                return result.Clone();
            }

            throw new InvalidOperationException($"Unexpected QMP message after {command}: {root.GetRawText()}");
        }
    }

    /// <summary>Runs a human monitor command line and returns what it printed.</summary>
    public string Hmp(string line)
    {
        JsonElement result = Execute("human-monitor-command", new JsonObject { ["command-line"] = line });
        return result.ValueKind == JsonValueKind.String ? result.GetString() ?? string.Empty : result.GetRawText();
    }

    /// <summary>Runs a human monitor command line on one CPU (<c>cpu-index</c>) and returns what it printed.</summary>
    public string Hmp(string line, int cpu) =>
        Execute("human-monitor-command", new JsonObject { ["command-line"] = line, ["cpu-index"] = cpu }).GetString() ?? "";

    /// <summary><c>xen-save-devices-state</c> with <c>live=false</c>: the device sections only, to <paramref name="path"/>.</summary>
    public void SaveDevices(string path)
    {
        Execute("xen-save-devices-state", new JsonObject
        {
            ["filename"] = Path.GetFullPath(path),
            ["live"] = false,
        });
    }

    /// <summary>
    /// Migrates to <c>exec:cat &gt; 'path'</c> and waits until <c>query-migrate</c> says <c>completed</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The migration failed or was cancelled.</exception>
    /// <exception cref="TimeoutException">It did not complete within <paramref name="timeout"/>.</exception>
    public void MigrateToFile(string path, TimeSpan timeout)
    {
        Execute("migrate", new JsonObject { ["uri"] = "exec:cat > " + QuoteAlways(Path.GetFullPath(path)) });
        WaitForMigrationStatus(timeout, "completed");
    }

    /// <summary>
    /// Polls <c>query-migrate</c> until its status is one of <paramref name="wanted"/> and returns that status.
    /// Works on either side (an <c>-incoming</c> QEMU reports its incoming migration). Before a migration starts the
    /// reply has no status; that counts as <c>none</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The status became <c>failed</c> or <c>cancelled</c> and that was not wanted.</exception>
    /// <exception cref="TimeoutException">No wanted status within <paramref name="timeout"/>.</exception>
    public string WaitForMigrationStatus(TimeSpan timeout, params string[] wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        if (wanted.Length == 0)
        {
            throw new ArgumentException("Name at least one status.", nameof(wanted));
        }

        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            JsonElement info = Execute("query-migrate");
            string details = info.GetRawText();
            string status = info.ValueKind == JsonValueKind.Object && info.TryGetProperty("status", out JsonElement s)
                ? s.GetString() ?? "none"
                : "none";
            if (Array.IndexOf(wanted, status) >= 0)
            {
                return status;
            }

            if (status is "failed" or "cancelled")
            {
                throw new InvalidOperationException(
                    $"Migration {status} (waiting for {string.Join('|', wanted)}): {details}{LogSuffix()}");
            }

            if (stopwatch.Elapsed >= timeout)
            {
                throw new TimeoutException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Migration status still '{status}' after {timeout.TotalSeconds:0.#} s (waiting for {string.Join('|', wanted)}): {details}{LogSuffix()}"));
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"QEMU exited (code {_process.ExitCode}) while waiting for migration status {string.Join('|', wanted)}{LogSuffix()}");
            }

            Thread.Sleep(PollInterval);
        }
    }

    /// <summary>Sends <c>quit</c>, waits up to 5 s, kills QEMU otherwise, and deletes the temp folder.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        var budget = Stopwatch.StartNew(); // quit and the wait for exit share one 5 s budget
        try
        {
            if (_socket is not null && _reader is not null && !HasExitedSafe())
            {
                try
                {
                    // A wedged QEMU must not hold Dispose for the full reply timeout.
                    _socket.ReceiveTimeout = (int)QuitTimeout.TotalMilliseconds;
                    Execute("quit");
                }
                catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or ObjectDisposedException)
                {
                    // QEMU often closes the socket before (or instead of) answering quit.
                }
            }

            _disposed = true;
            _reader?.Dispose();
            _stream?.Dispose();
            _socket?.Dispose();

            if (ProcessStarted())
            {
                TimeSpan left = QuitTimeout - budget.Elapsed;
                if (!_process.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                {
                    try
                    {
                        _process.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                        // It exited in between.
                    }
                }

                _process.WaitForExit(); // also drains the asynchronous output readers into Log
            }
        }
        finally
        {
            _disposed = true;
            _process.Dispose();
            try
            {
                Directory.Delete(_tempDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort; the folder is in the temp area.
            }
        }
    }

    private void Connect(string socketPath)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException(
                    $"QEMU exited with code {_process.ExitCode} before its QMP socket was ready: {CommandLine()}{LogSuffix()}");
            }

            if (File.Exists(socketPath))
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(socketPath));
                    socket.ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds;
                    socket.SendTimeout = (int)ReplyTimeout.TotalMilliseconds;
                    _socket = socket;
                    break;
                }
                catch (SocketException) when (stopwatch.Elapsed < ConnectTimeout)
                {
                    socket.Dispose();
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    throw new InvalidOperationException($"Cannot connect to QMP at {socketPath}: {e.Message}{LogSuffix()}", e);
                }
            }

            if (stopwatch.Elapsed >= ConnectTimeout)
            {
                throw new InvalidOperationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"No QMP socket at {socketPath} after {ConnectTimeout.TotalSeconds:0} s: {CommandLine()}{LogSuffix()}"));
            }

            Thread.Sleep(PollInterval);
        }

        _stream = new NetworkStream(_socket, ownsSocket: false);
        _reader = new StreamReader(_stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: false);
        using (JsonDocument greeting = ReadMessage("the QMP greeting"))
        {
            if (!greeting.RootElement.TryGetProperty("QMP", out _))
            {
                throw new InvalidOperationException($"Unexpected QMP greeting: {greeting.RootElement.GetRawText()}");
            }

            Greeting = greeting.RootElement.Clone();
        }

        Execute("qmp_capabilities");
    }

    private void Send(string json)
    {
        if (_stream is null)
        {
            throw new InvalidOperationException("QMP is not connected.");
        }

        byte[] bytes = Encoding.UTF8.GetBytes(json + "\n");
        try
        {
            _stream.Write(bytes);
            _stream.Flush();
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"Cannot send to QMP ({e.Message}): {json}{LogSuffix()}", e);
        }
    }

    private JsonDocument ReadMessage(string what)
    {
        if (_reader is null)
        {
            throw new InvalidOperationException("QMP is not connected.");
        }

        string? line;
        try
        {
            line = _reader.ReadLine();
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"Reading {what} from QMP failed: {e.Message}{LogSuffix()}", e);
        }

        if (line is null)
        {
            throw new InvalidOperationException($"QMP connection closed while waiting for {what}{LogSuffix()}");
        }

        return JsonDocument.Parse(line);
    }

    private void OnOutput(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log.Append(e.Data).Append('\n');
        }
    }

    private bool ProcessStarted()
    {
        try
        {
            _ = _process.Id;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private bool HasExitedSafe()
    {
        try
        {
            return _process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private string CommandLine() => string.Join(' ', Arguments.Select(ShellQuote));

    private string LogSuffix()
    {
        string log = Log.TrimEnd();
        return log.Length == 0 ? " (QEMU printed nothing)" : $"{Environment.NewLine}QEMU output:{Environment.NewLine}{log}";
    }

    private static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-,=:+@%".Contains(c, StringComparison.Ordinal))
            ? s
            : QuoteAlways(s);

    // POSIX sh single quotes: exec: URIs run through /bin/sh -c.
    private static string QuoteAlways(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
