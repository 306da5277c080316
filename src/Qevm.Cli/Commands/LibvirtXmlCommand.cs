using System.CommandLine;

namespace Qevm.Cli.Commands;

/// <summary>
/// <c>qevm libvirt-xml FILE [--set-xml NEW.xml -o OUT]</c>: the domain XML of a libvirt save image, or the image
/// with another XML (what <c>virsh save-image-dumpxml</c> and <c>save-image-define</c> do).
/// </summary>
internal static class LibvirtXmlCommand
{
    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("FILE") { Description = "libvirt save image (virsh save, managedsave); - for standard input" };
        var setXml = new Option<string?>("--set-xml") { Description = "write the image with this domain XML instead (needs -o)" };
        var outOption = new Option<string?>("--output", "-o") { Description = "image to write with --set-xml; - for standard output" };
        var compress = CommandRunner.CompressOption();
        var cmd = new Command("libvirt-xml", "Print the domain XML of a libvirt save image, or replace it (--set-xml NEW.xml -o OUT)") { file, setXml, outOption, compress };
        cmd.SetAction(pr => CommandRunner.Run(output, () =>
        {
            var src = pr.GetValue(file)!;
            var newXml = pr.GetValue(setXml);
            var dst = pr.GetValue(outOption);
            if ((newXml is null) != (dst is null)) throw new ArgumentException("--set-xml NEW.xml and -o OUT go together");
            if (dst is not null && dst != "-" && src != "-" && AtomicFile.SameFile(src, dst))
                throw new ArgumentException($"refusing to write over the input '{src}'");
            using var input = CommandRunner.OpenInput(src);
            var header = LibvirtSaveHeader.Read(input, input.CanSeek ? input.Length : null, pr.GetValue<bool>("--allow-partial"));
            if (newXml is null)
            {
                output.Out.Write(header.Xml);
                if (!header.Xml.EndsWith('\n')) output.Out.WriteLine();
                return 0;
            }
            var changed = header.WithXml(File.ReadAllText(newXml));
            var compression = pr.GetValue(compress) is { } c ? Compression.Parse(c) : changed.Compression;
            CommandRunner.WriteOutput(dst!, o =>
            {
                if (compression == header.Compression)
                {
                    // The stream's bytes as they are: nothing to decode.
                    changed.Write(o);
                    input.CopyTo(o);
                    return;
                }
                changed = changed.WithCompression(compression);
                changed.Write(o);
                using var from = Compression.Decompress(input, header.Compression, header.StreamOffset);
                using var to = Compression.Compress(o, compression);
                from.CopyTo(to);
            });
            return 0;
        }));
        return cmd;
    }
}
