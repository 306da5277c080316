using Qevm.Tests.Corpus;

namespace Qevm.Tests.Readme;

/// <summary>
/// README's C# examples are compiled and run by the suite: every <c>```csharp</c> block of README.md stands,
/// paragraph by paragraph (indentation aside), in the sources of this folder, whose tests run it.
/// </summary>
public sealed class ReadmeSnippetTests
{
    [Fact]
    public void EveryCSharpBlockOfTheReadme_StandsInTheCompiledExamples()
    {
        var readme = File.ReadAllLines(Path.Combine(CorpusFiles.RepoRoot, "README.md"));
        var sources = Directory.GetFiles(Path.Combine(CorpusFiles.RepoRoot, "tests", "Qevm.Tests", "Readme"), "*.cs")
            .Where(f => !f.EndsWith(nameof(ReadmeSnippetTests) + ".cs", StringComparison.Ordinal))
            .SelectMany(File.ReadAllLines).Select(l => l.Trim()).ToArray();
        var paragraphs = Paragraphs(readme).ToList();
        Assert.True(paragraphs.Count >= 6, "README has its C# examples");
        var missing = paragraphs.Where(p => !Contains(sources, p)).Select(p => string.Join("\n", p)).ToList();
        Assert.True(missing.Count == 0, "README code not in tests/Qevm.Tests/Readme:\n" + string.Join("\n---\n", missing));
    }

    // The lines of each csharp block, trimmed, split at blank lines.
    private static IEnumerable<string[]> Paragraphs(string[] readme)
    {
        bool inBlock = false;
        var current = new List<string>();
        foreach (var line in readme)
        {
            if (!inBlock)
            {
                inBlock = line.Trim() == "```csharp";
                continue;
            }
            if (line.Trim() == "```" || line.Trim().Length == 0)
            {
                if (current.Count > 0) yield return [.. current];
                current.Clear();
                inBlock = line.Trim() != "```";
                continue;
            }
            current.Add(line.Trim());
        }
    }

    private static bool Contains(string[] sources, string[] run)
    {
        for (int i = 0; i + run.Length <= sources.Length; i++)
            if (sources.AsSpan(i, run.Length).SequenceEqual(run)) return true;
        return false;
    }
}
