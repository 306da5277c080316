using System.Text;
using Qevm.Engine.Devices;
using Qevm.Qmp.Server;

namespace Qevm.Tests.Qmp.Server;

/// <summary><see cref="QmpServerOptions.FileDirectory"/>: file names are taken in that folder and may not leave it.</summary>
public sealed class QmpFileDirectoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> SessionAsync(string messages)
    {
        var server = new QmpServer(new SampleMachine().Registry, new QmpServerOptions { FileDirectory = Path.Combine(_dir, "files") });
        Directory.CreateDirectory(Path.Combine(_dir, "files"));
        var stream = new ChunkedDuplexStream(Encoding.UTF8.GetBytes("""{"execute": "qmp_capabilities"}""" + messages), []);
        await server.ServeStreamAsync(stream, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return Encoding.UTF8.GetString(stream.Written);
    }

    [Fact]
    public async Task NamesInsideTheFolder_AreSavedAndLoaded_OthersAreRefused()
    {
        var replies = await SessionAsync(
            """{"execute": "xen-save-devices-state", "arguments": {"filename": "dev.state"}, "id": 1}""" +
            """{"execute": "xen-save-devices-state", "arguments": {"filename": "../outside.state"}, "id": 2}""" +
            """{"execute": "xen-save-devices-state", "arguments": {"filename": "/tmp/qevm-absolute.state"}, "id": 3}""" +
            """{"execute": "stop"}{"execute": "xen-load-devices-state", "arguments": {"filename": "sub/../dev.state"}, "id": 4}""" +
            """{"execute": "xen-load-devices-state", "arguments": {"filename": "/etc/hostname"}, "id": 5}""");
        Assert.Contains("""{"return":{},"id":1}""", replies, StringComparison.Ordinal);
        Assert.Contains("""{"error":{"class":"GenericError","desc":"Unable to open ../outside.state: Permission denied"},"id":2}""", replies, StringComparison.Ordinal);
        Assert.Contains("""{"error":{"class":"GenericError","desc":"Unable to open /tmp/qevm-absolute.state: Permission denied"},"id":3}""", replies, StringComparison.Ordinal);
        Assert.Contains("""{"return":{},"id":4}""", replies, StringComparison.Ordinal);
        Assert.Contains("""{"error":{"class":"GenericError","desc":"Unable to open /etc/hostname: Permission denied"},"id":5}""", replies, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "files", "dev.state")));
        Assert.False(File.Exists(Path.Combine(_dir, "outside.state")));
        Assert.False(File.Exists("/tmp/qevm-absolute.state"));
    }
}
