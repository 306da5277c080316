using System.CommandLine;
using System.Net.Sockets;
using Qevm.Engine;
using Qevm.Engine.Devices;
using Qevm.Qmp.Server;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm serve --socket PATH</c>: a QMP server hosting the sample devices, until <c>quit</c> or Ctrl+C.</summary>
internal static class ServeCommand
{
    public static Command Create(CliOutput output)
    {
        var socket = new Option<string>("--socket") { Description = "unix socket to listen on (a stale one is replaced; removed at the end)", Required = true };
        var paused = new Option<bool>("--paused", "-S") { Description = "start paused, as QEMU with -S" };
        var trailer = new Option<bool>("--trailer") { Description = "xen-save-devices-state also writes the JSON trailer describing the sections (QEMU writes none)" };
        var skip = new Option<bool>("--skip-unknown-sections") { Description = "xen-load-devices-state passes over sections of devices the server does not have (e.g. a real QEMU's file)" };
        var maxMessage = new Option<int>("--max-message") { Description = "largest QMP message accepted, in bytes (QEMU: 64 MiB)", DefaultValueFactory = _ => 64 << 20 };
        var cmd = new Command("serve", "Serve QMP on a unix socket over the sample devices (mc146818rtc, i8254, i8259 #0 and #1): xen-save-devices-state, xen-load-devices-state, stop, cont, query-status, ...")
        {
            socket, paused, trailer, skip, maxMessage,
        };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var path = pr.GetValue(socket)!;
            if (pr.GetValue(maxMessage) < 16) throw new ArgumentException("--max-message must be at least 16 bytes");
            var machine = new SampleMachine();
            var server = new QmpServer(machine.Registry, new QmpServerOptions
            {
                StartPaused = pr.GetValue(paused),
                Save = new SaveOptions { Trailer = pr.GetValue(trailer) },
                Load = new LoadOptions { SkipUnknownSections = pr.GetValue(skip) },
                MaxMessageBytes = pr.GetValue(maxMessage),
                // From connection tasks at any time: one line at a time.
                Log = line =>
                {
                    lock (output.Error) output.Error.WriteLine("qevm: " + line);
                },
            });
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                var run = server.RunAsync(new UnixDomainSocketEndPoint(path), cancel.Token);
                server.Listening.GetAwaiter().GetResult();
                output.Out.WriteLine($"qevm: QMP on {path} ({machine.Registry.Entries.Count} devices, {(server.Running ? "running" : "paused")})");
                output.Out.Flush();
                run.GetAwaiter().GetResult();
            }
            catch (SocketException e)
            {
                throw new IOException($"cannot listen on {path}: {e.Message}", e);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            return 0;
        }));
        return cmd;
    }
}
