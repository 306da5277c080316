using System.Text.Json;

namespace Qevm.Qmp.Server;

/// <summary>
/// A command's <c>arguments</c> checked as QEMU's QAPI input visitor checks them: members in schema order
/// ("Parameter 'filename' is missing", "Invalid parameter type for 'filename', expected: string"), then members left over
/// ("Parameter 'x' is unexpected").
/// </summary>
internal sealed class QmpArguments(JsonElement arguments)
{
    private readonly HashSet<string> _seen = [];

    public string RequiredString(string name)
    {
        _seen.Add(name);
        if (arguments.ValueKind != JsonValueKind.Object || !arguments.TryGetProperty(name, out var v))
            throw QmpCommandError.Generic($"Parameter '{name}' is missing");
        if (v.ValueKind != JsonValueKind.String) throw QmpCommandError.Generic($"Invalid parameter type for '{name}', expected: string");
        return v.GetString()!;
    }

    public bool? OptionalBool(string name)
    {
        _seen.Add(name);
        if (arguments.ValueKind != JsonValueKind.Object || !arguments.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw QmpCommandError.Generic($"Invalid parameter type for '{name}', expected: boolean"),
        };
    }

    public void CheckNoOthers()
    {
        if (arguments.ValueKind != JsonValueKind.Object) return;
        foreach (var p in arguments.EnumerateObject())
            if (!_seen.Contains(p.Name)) throw QmpCommandError.Generic($"Parameter '{p.Name}' is unexpected");
    }
}
