using Qevm.Guest;
using System.Globalization;
using System.Net;
using System.Text;

namespace Qevm.Cli.Rendering;

/// <summary>
/// <c>qevm report</c>'s page: one self-contained HTML file (inline CSS and SVG, no scripts, fonts or other
/// files) with the container, the configuration, the findings, a RAM strip per block, the pages of each pass,
/// a chart of section sizes and the section table. Numbers carry <c>data-k</c> names so that tests can read them.
/// </summary>
internal static class HtmlReport
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static void Write(TextWriter w, string name, StreamInfo? info, RamMap ram, VmStateFormatException? error, (string Name, StateDiff Diff)? diff = null,
        (IReadOnlyList<X86CpuState>? Cpus, string? Why) cpus = default)
    {
        w.Write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>qevm report: ");
        w.Write(E(name));
        w.Write("</title>\n<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}"
            + "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
            + ".bad{color:#b00020;font-weight:600}.ok{color:#1b5e20;font-weight:600}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}"
            + "svg{display:block;margin:6px 0}</style></head><body>\n");
        w.Write("<h1>" + E(name) + "</h1>\n");
        if (error is not null)
            w.Write("<p class=\"bad\" data-k=\"verdict\">invalid</p><p>" + E(error.Message) + "</p>\n");
        else
            w.Write("<p class=\"ok\" data-k=\"verdict\">valid</p>\n");
        if (info is not null)
        {
            Summary(w, info);
            Findings(w, info);
            if (diff is { } d) Differences(w, d.Name, d.Diff);
            Cpus(w, cpus.Cpus, cpus.Why);
            Ram(w, info, ram);
            Sections(w, info);
        }
        w.Write("</body></html>\n");
    }

    private static void Summary(TextWriter w, StreamInfo info)
    {
        w.Write("<h2>Stream</h2><table>\n");
        Row(w, "kind", StreamKinds.Name(info.Kind));
        Row(w, "container", info.Container is { } c ? InfoRenderer.Describe(c) : "none (a bare stream)");
        Row(w, "version", info.Version.ToString(Ci));
        Row(w, "footers", info.Footers ? "yes" : "no");
        Row(w, "machine", info.Configuration?.Machine ?? "-");
        Row(w, "target-page-bits", info.Configuration?.TargetPageBits?.ToString(Ci) ?? "-");
        Row(w, "capabilities", info.Configuration?.Capabilities is { } caps ? string.Join(", ", caps) : "-");
        Row(w, "uuid", info.Configuration?.UuidText ?? "-");
        Row(w, "eof_offset", info.EofOffset.ToString(Ci));
        Row(w, "trailer", info.Trailer is { } t ? string.Create(Ci, $"{t.Length} bytes at {t.Offset}") : "none");
        w.Write("</table>\n");
    }

    private static void Sections(TextWriter w, StreamInfo info)
    {
        w.Write("<h2>Sections</h2>\n<p><span data-k=\"sections\">" + info.Sections.Count.ToString(Ci) + "</span> section records, <span data-k=\"commands\">"
            + info.Commands.Count.ToString(Ci) + "</span> commands.</p>\n");
        // Bytes per idstr (FULL data and iterative data alike), largest first: what takes the space.
        var sizes = info.Sections.GroupBy(s => s.Header.Idstr).Select(g => (Idstr: g.Key, Bytes: g.Sum(s => s.PayloadLength)))
            .OrderByDescending(x => x.Bytes).Take(24).ToList();
        if (sizes.Count > 0)
        {
            long max = Math.Max(1, sizes[0].Bytes);
            int h = 18 * sizes.Count + 4;
            w.Write(string.Create(Ci, $"<svg width=\"760\" height=\"{h}\" viewBox=\"0 0 760 {h}\" role=\"img\" aria-label=\"bytes per section\">\n"));
            for (int i = 0; i < sizes.Count; i++)
            {
                double width = Math.Max(1, 480.0 * sizes[i].Bytes / max);
                w.Write(string.Create(Ci, $"<text x=\"0\" y=\"{18 * i + 14}\" font-size=\"12\">{E(sizes[i].Idstr)}</text><rect x=\"190\" y=\"{18 * i + 3}\" width=\"{width:0.#}\" height=\"13\" fill=\"#3f6ad8\"/><text x=\"{196 + width:0.#}\" y=\"{18 * i + 14}\" font-size=\"12\">{Bytes(sizes[i].Bytes)}</text>\n"));
            }
            w.Write("</svg>\n");
        }
        // A run of PART records of one section is one row, so that the page stays small for long live migrations.
        w.Write("<table><tr><th>type</th><th>id</th><th>idstr</th><th>instance</th><th>version</th><th>offset</th><th>size</th></tr>\n");
        for (int i = 0; i < info.Sections.Count;)
        {
            var s = info.Sections[i];
            int j = i + 1;
            long size = s.PayloadLength;
            while (s.Type == RecordType.SectionPart && j < info.Sections.Count && info.Sections[j].Type == RecordType.SectionPart
                && info.Sections[j].Header.SectionId == s.Header.SectionId)
                size += info.Sections[j++].PayloadLength;
            string type = j - i > 1 ? string.Create(Ci, $"part \u00d7{j - i}") : s.TypeName;
            w.Write(string.Create(Ci, $"<tr><td>{E(type)}</td><td class=\"n\">{s.Header.SectionId}</td><td>{E(s.Header.Idstr)}</td><td class=\"n\">{s.Header.InstanceId}</td><td class=\"n\">{s.Header.VersionId}</td><td class=\"n\">0x{s.RecordOffset:x}</td><td class=\"n\">{size}</td></tr>\n"));
            i = j;
        }
        w.Write("</table>\n");
    }

    private static void Ram(TextWriter w, StreamInfo info, RamMap map)
    {
        if (info.Ram is not { } ram) return;
        w.Write("<h2>RAM</h2><table>\n");
        Row(w, "page_size", ram.PageSize.ToString(Ci));
        Row(w, "pages", ram.Pages.ToString(Ci));
        Row(w, "zero_pages", ram.ZeroPages.ToString(Ci));
        Row(w, "xbzrle_pages", ram.XbzrlePages.ToString(Ci));
        Row(w, "compressed_pages", ram.CompressedPages.ToString(Ci));
        Row(w, "mapped_ram", ram.MappedRam ? "yes" : "no");
        w.Write("</table>\n<p class=\"legend\">Each strip is a RAM block from its start to its end; a column's colour says what most of its records were."
            + "<span style=\"background:#e0e0e0\"></span>no record<span style=\"background:#b0bec5\"></span>zero<span style=\"background:#3f6ad8\"></span>data"
            + "<span style=\"background:#f9a825\"></span>XBZRLE<span style=\"background:#8e24aa\"></span>compressed<span style=\"background:#d32f2f\"></span>sent again</p>\n");
        foreach (var b in map.Blocks)
        {
            w.Write(string.Create(Ci, $"<p>{E(b.Name)}: {Bytes((long)b.Length)}</p>\n<svg width=\"768\" height=\"30\" viewBox=\"0 0 768 30\" role=\"img\" aria-label=\"{E(b.Name)}\">\n"));
            for (int i = 0; i < RamMap.BucketCount; i++)
            {
                long zero = b.Zero[i], data = b.Data[i], x = b.Xbzrle[i], comp = b.Compressed[i];
                long top = Math.Max(Math.Max(zero, data), Math.Max(x, comp));
                string colour = top == 0 ? "#e0e0e0" : top == data ? "#3f6ad8" : top == zero ? "#b0bec5" : top == x ? "#f9a825" : "#8e24aa";
                w.Write(string.Create(Ci, $"<rect x=\"{3 * i}\" y=\"0\" width=\"3\" height=\"22\" fill=\"{colour}\"/>"));
                if (b.Resent[i] > 0) w.Write(string.Create(Ci, $"<rect x=\"{3 * i}\" y=\"24\" width=\"3\" height=\"6\" fill=\"#d32f2f\"/>"));
            }
            w.Write("\n</svg>\n");
        }
        var passes = map.PagesPerPass;
        w.Write("<h2>Passes</h2>\n<p><span data-k=\"passes\">" + passes.Count.ToString(Ci) + "</span> pass(es) over guest RAM. ");
        if (passes.Count <= 1)
            w.Write("One pass: the guest did not run while it was saved (or nothing was sent again).</p>\n");
        else
        {
            bool converged = passes[^1] <= passes[0] / 10 || passes.Skip(1).Zip(passes.Skip(2)).All(p => p.Second <= p.First);
            w.Write(converged ? "<span class=\"ok\">Converged</span>: the passes shrank to the last one.</p>\n"
                : "<span class=\"bad\">Did not converge</span>: later passes sent as much as earlier ones.</p>\n");
            long max = Math.Max(1, passes.Max());
            int n = passes.Count;
            double bar = Math.Max(2, Math.Min(40, 740.0 / n));
            w.Write(string.Create(Ci, $"<svg width=\"760\" height=\"140\" viewBox=\"0 0 760 140\" role=\"img\" aria-label=\"pages per pass\">\n"));
            for (int i = 0; i < n; i++)
            {
                double height = Math.Max(1, 120.0 * passes[i] / max);
                w.Write(string.Create(Ci, $"<rect x=\"{i * bar:0.#}\" y=\"{120 - height:0.#}\" width=\"{bar * 0.8:0.#}\" height=\"{height:0.#}\" fill=\"#3f6ad8\"><title>pass {i + 1}: {passes[i]} pages</title></rect>"));
            }
            w.Write(string.Create(Ci, $"\n<text x=\"0\" y=\"136\" font-size=\"12\">pass 1: {passes[0]} pages; last: {passes[^1]} pages</text></svg>\n"));
        }
    }

    private static void Findings(TextWriter w, StreamInfo info)
    {
        w.Write("<h2>Findings</h2>\n");
        if (info.Warnings.Count == 0) w.Write("<p>None: QEMU would load this stream without a warning.</p>\n");
        else
        {
            w.Write("<ul>\n");
            foreach (var d in info.Warnings) w.Write(string.Create(Ci, $"<li>offset 0x{d.Offset:x}: {E(d.Message)}</li>\n"));
            w.Write("</ul>\n");
        }
    }

    // QEMU's order of env.regs (R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI, R8...).
    private static readonly string[] RegisterNames = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

    private static void Cpus(TextWriter w, IReadOnlyList<X86CpuState>? cpus, string? why)
    {
        if (cpus is null && why is null) return;
        w.Write("<h2>CPUs</h2>\n");
        if (cpus is null)
        {
            w.Write("<p>" + E(why!) + "</p>\n");
            return;
        }
        w.Write("<table><tr><th>register</th>");
        foreach (var c in cpus) w.Write(string.Create(Ci, $"<th>CPU {c.Index}</th>"));
        w.Write("</tr>\n");
        void Line(string name, Func<X86CpuState, string> value)
        {
            w.Write("<tr><th>" + E(name) + "</th>");
            foreach (var c in cpus) w.Write(string.Create(Ci, $"<td class=\"n\" data-k=\"cpu{c.Index}_{name}\">{E(value(c))}</td>"));
            w.Write("</tr>\n");
        }
        static string Hex(ulong v) => string.Create(Ci, $"0x{v:x16}");
        for (int i = 0; i < RegisterNames.Length; i++)
        {
            int r = i;
            Line(RegisterNames[r], c => Hex(c.Regs[r]));
        }
        Line("rip", c => Hex(c.Eip));
        Line("rflags", c => Hex(c.Eflags));
        foreach (int i in new[] { 0, 2, 3, 4 })
            Line("cr" + i.ToString(Ci), c => Hex(c.Cr[i]));
        string[] segments = ["es", "cs", "ss", "ds", "fs", "gs"];
        for (int i = 0; i < segments.Length; i++)
        {
            int s = i;
            Line(segments[s], c => string.Create(Ci, $"{c.Segments[s].Selector:x4} base {c.Segments[s].Base:x}"));
        }
        Line("long_mode", c => c.LongMode ? "yes" : "no");
        w.Write("</table>\n");
    }

    private static void Differences(TextWriter w, string other, StateDiff diff)
    {
        w.Write("<h2>Differences from " + E(other) + "</h2>\n");
        w.Write(string.Create(Ci, $"<p><span data-k=\"only_in_a\">{diff.OnlyInA.Count}</span> section(s) only here, <span data-k=\"only_in_b\">{diff.OnlyInB.Count}</span> only there, <span data-k=\"fields\">{diff.Fields.Count}</span> value(s) differ, RAM pages differ in <span data-k=\"ram_blocks\">{diff.Ram.Count}</span> block(s).</p>\n"));
        if (diff.Equal) return;
        w.Write("<table><tr><th>what</th><th>here</th><th>there</th></tr>\n");
        foreach (var p in diff.OnlyInA) w.Write("<tr><td>" + E(p) + "</td><td>present</td><td>absent</td></tr>\n");
        foreach (var p in diff.OnlyInB) w.Write("<tr><td>" + E(p) + "</td><td>absent</td><td>present</td></tr>\n");
        foreach (var f in diff.Fields) w.Write("<tr><td>" + E(f.Path) + "</td><td>" + E(f.A ?? "(absent)") + "</td><td>" + E(f.B ?? "(absent)") + "</td></tr>\n");
        foreach (var r in diff.Ram) w.Write(string.Create(Ci, $"<tr><td>RAM {E(r.Block)}</td><td colspan=\"2\">{r.Pages} page(s) differ</td></tr>\n"));
        w.Write("</table>\n");
    }

    private static void Row(TextWriter w, string key, string value) =>
        w.Write("<tr><th>" + E(key) + "</th><td data-k=\"" + E(key) + "\">" + E(value) + "</td></tr>\n");

    private static string Bytes(long n) => n >= 1 << 20 ? string.Create(Ci, $"{n / 1048576.0:0.#} MiB") : n >= 1 << 10 ? string.Create(Ci, $"{n / 1024.0:0.#} KiB") : string.Create(Ci, $"{n} B");

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
