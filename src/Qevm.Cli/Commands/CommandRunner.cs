using System.Globalization;

namespace Qevm.Cli.Commands;

/// <summary>Runs a command body and turns exceptions into one line on stderr and an exit code; never a stack trace.</summary>
internal static class CommandRunner
{
    public static int Run(CliOutput output, Func<int> body, int invalidInput = Program.InvalidInput)
    {
        try
        {
            return body();
        }
        catch (VmStateFormatException e)
        {
            output.Error.WriteLine("qevm: invalid: " + e.Message);
            return invalidInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            output.Error.WriteLine("qevm: " + e.Message);
            return Program.UsageOrIo;
        }
    }

    /// <summary>The FILE argument every reading command takes.</summary>
    public static System.CommandLine.Argument<string> FileArgument() =>
        new("FILE") { Description = "device-state file or migration stream; - for standard input" };

    /// <summary>Opens FILE, or standard input for <c>-</c>.</summary>
    public static Stream OpenInput(string path) =>
        path == "-" ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);

    /// <summary>
    /// Opens FILE for commands that read it twice; standard input is first copied to a temporary file that is
    /// deleted when the stream is closed.
    /// </summary>
    public static Stream OpenRereadable(string path)
    {
        if (path != "-") return OpenInput(path);
        var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        using (var stdin = Console.OpenStandardInput()) stdin.CopyTo(temp);
        temp.Position = 0;
        return temp;
    }

    /// <summary>Writes OUT through a temporary file and a rename, or to standard output for <c>-</c>.</summary>
    public static void WriteOutput(string path, Action<Stream> write)
    {
        if (path == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            write(stdout);
        }
        else
        {
            AtomicFile.Write(path, write);
        }
    }

    public static string Offset(long offset) => string.Create(CultureInfo.InvariantCulture, $"0x{offset:x} ({offset})");
}
