using Qevm.Tests.Cli;
using Qevm.Tests.Corpus;

namespace Qevm.Tests.Validation;

/// <summary><c>qevm schema list</c>: what the database holds, as the README shows it.</summary>
public sealed class SchemaListTests
{
    [Fact]
    public void List_IsWhatTheReadmeShows()
    {
        var (code, output, err) = QevmCli.Run("schema", "list");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        var readme = File.ReadAllText(Path.Combine(CorpusFiles.RepoRoot, "README.md")).ReplaceLineEndings("\n");
        const string Start = "$ qevm schema list\n";
        int i = readme.IndexOf(Start, StringComparison.Ordinal) + Start.Length;
        int j = readme.IndexOf("$ qevm schema list qemu-7.2", i, StringComparison.Ordinal);
        Assert.Equal(readme[i..j], output.ReplaceLineEndings("\n"));

        (code, output, _) = QevmCli.Run("schema", "list", "qemu-7.2");
        Assert.Equal(0, code);
        var lines = output.ReplaceLineEndings("\n").Split('\n');
        Assert.Equal(76 + 2 + 1, lines.Length);
        Assert.Contains(string.Join("\n", lines[..3]) + "\n", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void List_Json_NamesMachineTypesAliasesRamBlocksAndSections()
    {
        var (code, output, _) = QevmCli.Run("schema", "list", "qemu-10.0", "--json");
        Assert.Equal(0, code);
        var v = System.Text.Json.Nodes.JsonNode.Parse(output)!["versions"]![0]!;
        Assert.Equal("10.0", (string)v["version"]!);
        Assert.Equal("pc-q35-10.0", (string)v["aliases"]!["q35"]!);
        var q35 = v["machines"]!.AsArray().Single(m => (string)m!["name"]! == "pc-q35-10.0")!;
        Assert.Equal("q35", (string)q35["aliases"]![0]!);
        Assert.Equal("memory", (string)q35["ram_blocks"]![0]!["sizing"]!);
        Assert.Equal(134217728, (long)q35["ram_blocks"]![0]!["size"]!);
        Assert.Contains(q35["sections"]!.AsArray(), s => (string)s!["idstr"]! == "ram" && (int)s["version_id"]! == 4);

        (code, _, var err) = QevmCli.Run("schema", "list", "qemu-9.0");
        Assert.Equal(2, code);
        Assert.Equal("qevm: QEMU 9.0 is not in the database (it has 5.2, 7.2, 10.0, 11.1)\n", err.ReplaceLineEndings("\n"));
    }
}
