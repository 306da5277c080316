using System.Globalization;

namespace Qevm.Streams;

/// <summary>QEMU's words for a section footer that is not there or names another section (§9.3, check_section_footer).</summary>
internal static class FooterMessages
{
    /// <summary>What the reader expected: <c>footer 0x7E + be32 ID</c>.</summary>
    public static string Expected(uint sectionId) => string.Create(CultureInfo.InvariantCulture, $"footer 0x7E + be32 {sectionId}");

    /// <summary><c>Missing section footer for IDSTR</c>.</summary>
    public static string Missing(string idstr) => "Missing section footer for " + idstr;

    /// <summary><c>Mismatched section id in footer for IDSTR - read 0x… expected 0x…</c>.</summary>
    public static string Mismatched(string idstr, uint read, uint expected) =>
        string.Create(CultureInfo.InvariantCulture, $"Mismatched section id in footer for {idstr} - read 0x{read:x} expected 0x{expected:x}");
}
