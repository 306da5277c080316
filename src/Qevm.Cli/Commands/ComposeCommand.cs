using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary><c>qevm compose STATE.json -o OUT</c>: write a stream from the <c>dump --json</c> form.</summary>
internal static class ComposeCommand
{
    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("STATE.json") { Description = "the output of `qevm dump --json FILE` (edited or not); - for standard input" };
        var outOption = new Option<string>("--output", "-o") { Description = "stream to write; - for standard output", Required = true };
        var compress = CommandRunner.CompressOption();
        var cmd = new Command("compose", "Write a stream from its `dump --json` form (in the container the dump names: a libvirt image stays one)") { file, outOption, compress };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var src = pr.GetValue(file)!;
            byte[] json;
            using (var input = CommandRunner.OpenInput(src))
            using (var ms = new MemoryStream())
            {
                input.CopyTo(ms);
                json = ms.ToArray();
            }
            VmStateContainer? container = null;
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("container", out var c))
                    container = VmStateContainer.FromJson(c);
            }
            catch (System.Text.Json.JsonException)
            {
                // Compose reports what is wrong with the JSON.
            }
            catch (Exception e) when (e is KeyNotFoundException or FormatException or InvalidOperationException)
            {
                throw new ArgumentException("the \"container\" of the dump is not complete: " + e.Message, e);
            }
            CommandRunner.WriteState(pr, pr.GetValue(outOption)!, container, o => StateComposer.Compose(json, o));
            return 0;
        }));
        return cmd;
    }
}
