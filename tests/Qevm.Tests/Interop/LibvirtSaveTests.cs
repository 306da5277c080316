using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Qevm.Tests.Interop;

/// <summary>
/// Real <c>virsh save</c> images from Debian's libvirt 9.0.0 (raw, gzip, bzip2, xz; zstd built from the raw one
/// with the zstd tool, as this libvirt has no zstd format): Qevm reads each, and an edited raw image restores.
/// </summary>
[Trait("Category", "Qemu")]
[Collection(LibvirtCollection.Name)]
public sealed class LibvirtSaveTests(LibvirtDaemons libvirt) : IClassFixture<LibvirtDaemons>
{
    private const string Domain = "qevmtest";

    private static (int Code, string Out, string Err) Qevm(params string[] args) => global::Qevm.Tests.Cli.QevmCli.Run(args);

    private string Save(string format)
    {
        libvirt.Start(format);
        var xml = Path.Combine(libvirt.Folder, "dom.xml");
        File.WriteAllText(xml, LibvirtDaemons.DomainXml(Domain, "pc"));
        LibvirtDaemons.Virsh("create", xml);
        Thread.Sleep(1500); // the firmware runs
        var image = Path.Combine(libvirt.Folder, format + ".img");
        LibvirtDaemons.Virsh("save", Domain, image);
        return image;
    }

    /// <summary>The QEMU stream after the header, decompressed with the format's own program.</summary>
    private static byte[] BareStream(byte[] image, string format)
    {
        long offset = 92 + BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(20));
        var payload = image[(int)offset..];
        return format == "raw" ? payload : global::Qevm.Tests.Containers.ContainerBytes.Tool(format, "-dc", payload);
    }

    [Fact]
    public void VirshSaveImages_AreRead_AndAnEditedImageRestores()
    {
        var images = new Dictionary<string, string>();
        foreach (var f in (string[])["raw", "gzip", "bzip2", "xz"]) images[f] = Save(f);
        // zstd (header format 5): the raw image's stream compressed by the zstd tool.
        var raw = File.ReadAllBytes(images["raw"]);
        int streamOffset = 92 + (int)BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(20));
        var zstdHeader = raw[..streamOffset];
        BinaryPrimitives.WriteUInt32LittleEndian(zstdHeader.AsSpan(28), 5);
        images["zstd"] = Path.Combine(libvirt.Folder, "zstd.img");
        File.WriteAllBytes(images["zstd"], [.. zstdHeader, .. global::Qevm.Tests.Containers.ContainerBytes.Tool("zstd", "-c", raw[streamOffset..])]);

        foreach (var (format, path) in images)
        {
            var bytes = File.ReadAllBytes(path);
            Assert.Equal("LibvirtQemudSave", Encoding.ASCII.GetString(bytes, 0, 16));
            uint expectedFormat = format switch { "raw" => 0u, "gzip" => 1u, "bzip2" => 2u, "xz" => 3u, _ => 5u };
            Assert.Equal(expectedFormat, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28)));
            var bare = Path.Combine(libvirt.Folder, format + ".mig");
            File.WriteAllBytes(bare, BareStream(bytes, format == "zstd" ? "zstd" : format));

            var (code, output, err) = Qevm("info", path, "--json");
            Assert.True(code == 0, $"{format}: {err}");
            var j = JsonNode.Parse(output)!;
            var expected = JsonNode.Parse(Qevm("info", bare, "--json").Out)!;
            Assert.True(JsonNode.DeepEquals(expected["sections"], j["sections"]), format + ": sections differ");
            Assert.True(JsonNode.DeepEquals(expected["ram"], j["ram"]), format + ": RAM differs");
            Assert.True(((JsonArray)j["sections"]!).Count > 20);
            var c = j["container"]!;
            Assert.Equal("libvirt", (string)c["kind"]!);
            Assert.Equal(2, (int)c["version"]!);
            Assert.Equal(format, (string)c["compression"]!);
            Assert.Equal(1, (int)c["was_running"]!);
            Assert.Equal(65536, (long)c["padding"]!); // libvirt's room for a larger XML
            Assert.NotNull(c["cookie_length"]);

            (code, _, err) = Qevm("check", path);
            Assert.True(code == 0, $"{format}: {err}");
            var (xc, xml, _) = Qevm("libvirt-xml", path);
            Assert.Equal(0, xc);
            Assert.Contains("<name>qevmtest</name>", xml, StringComparison.Ordinal);
            int xmlEnd = Array.IndexOf(bytes, (byte)0, 92);
            Assert.Equal(Encoding.UTF8.GetString(bytes, 92, xmlEnd - 92).TrimEnd('\n'), xml.TrimEnd('\n'));
        }

        // set a register in the raw image; libvirt restores the result and QEMU shows the value.
        var edited = Path.Combine(libvirt.Folder, "edited.img");
        var (sc, _, serr) = Qevm("set", images["raw"], "cpu#0/env.regs[0]=0x12345678", "-o", edited);
        Assert.True(sc == 0, serr);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(edited, (UnixFileMode)0x1a4); // 0644
        try
        {
            LibvirtDaemons.Virsh("restore", edited, "--paused");
            var eax = LibvirtDaemons.Virsh("qemu-monitor-command", Domain, "--hmp", "print $eax");
            Assert.Equal("0x12345678", eax.Trim());
        }
        finally
        {
            ProgramRunner.Run("virsh", "-c", "qemu:///system", "destroy", Domain);
        }
    }
}
