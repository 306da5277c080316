using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Qevm.Qmp.Server;

namespace Qevm.Tests.Qmp.Server;

/// <summary>The QMP input splitter: values end where their brackets balance, as in QEMU's json-streamer.</summary>
public sealed class QmpMessageSplitterTests
{
    private static List<string> Split(int max, params string[] chunks)
    {
        var s = new QmpMessageSplitter(max);
        var output = new List<QmpMessageSplitter.Message>();
        foreach (var c in chunks) s.Feed(Encoding.UTF8.GetBytes(c), output);
        return [.. output.Select(m => m.Error is not null ? "ERROR " + m.Error : Encoding.UTF8.GetString(m.Json!))];
    }

    [Fact]
    public void BackToBackObjects_WithoutNewlines_AreTwoMessages() =>
        Assert.Equal(["{\"a\":1}", "{\"b\":[2,{}]}"], Split(100, "{\"a\":1}{\"b\":", "[2,{}]}\r\n"));

    [Fact]
    public void BracesInsideStrings_AndEscapedQuotes_DoNotCount() =>
        Assert.Equal(["{\"a\":\"}\\\"{\"}", "[1]"], Split(100, " {\"a\":\"}\\\"{\"} ", "[1]"));

    [Fact]
    public void TopLevelScalarsAndStrings_AreMessagesOfTheirOwn() =>
        Assert.Equal(["42", "\"x y\"", "true", "}"], Split(100, "42 \"x y\" true\n}"));

    [Fact]
    public void OversizedValue_OneError_ThenTheNextValueIsRead()
    {
        var big = "{\"id\":\"" + new string('x', 200) + "\",\"n\":{\"m\":1}}";
        Assert.Equal(["ERROR JSON token size limit exceeded", "{\"ok\":1}"], Split(64, big[..100], big[100..] + "{\"ok\":1}"));
    }

    [Fact]
    public void TooDeep_OneError_ThenTheNextValueIsRead() =>
        Assert.Equal(["ERROR JSON nesting depth limit exceeded", "{}"], Split(10_000, new string('[', 1100) + new string(']', 1100) + "{}"));

    [Fact]
    public void OversizedScalar_OneError_ThenTheNextValueIsRead() =>
        Assert.Equal(["ERROR JSON token size limit exceeded", "{}"], Split(64, new string('1', 100), new string('2', 100) + " {}"));

    [Fact]
    public void AnyChunking_GivesTheSameMessages() =>
        Gen.Select(Gen.String.Array[1, 4], Gen.Int[1, 9]).Sample((texts, chunk) =>
        {
            var messages = texts.Select((t, i) => new JsonObject { ["execute"] = "query-status", ["id"] = i, ["s"] = t }.ToJsonString()).ToArray();
            var all = string.Join("\r\n", messages); // ASCII: ToJsonString escapes the rest
            var chunks = Enumerable.Range(0, (all.Length + chunk - 1) / chunk).Select(k => all.Substring(k * chunk, Math.Min(chunk, all.Length - k * chunk))).ToArray();
            return Split(1 << 20, chunks).SequenceEqual(messages);
        });

    [Fact]
    public void RandomBytes_NeverThrow() =>
        Gen.Byte.Array[0, 300].Sample(bytes => new QmpMessageSplitter(64).Feed(bytes, []));
}
