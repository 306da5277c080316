using System.Buffers.Binary;
using System.Text;
using Qevm.Guest;
using Qevm.Tests.Interop;

namespace Qevm.Tests.Guest;

/// <summary>
/// A Linux guest with <c>-device vmcoreinfo</c>: Debian's kernel with an initramfs whose /init (a few instructions)
/// loads Debian's <c>qemu_fw_cfg</c> module, which writes the VMCOREINFO note's address to fw_cfg, and exits, so that
/// the kernel panics and stays there. The core's VMCOREINFO note is QEMU's, byte for byte and in QEMU's place (after
/// every CPU's notes), and its OSRELEASE is the kernel's release.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuVmcoreInfoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qevm-vmcoreinfo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LinuxGuest_VmcoreInfoNoteEqualsQemus()
    {
        var kernel = QemuElfExportTests.KernelPath();
        var module = Path.Combine(Path.GetDirectoryName(kernel)!, "qemu_fw_cfg.ko");
        Assert.True(File.Exists(module), $"no {module}: run `bash scripts/get-linux-kernel.sh` (scripts/test.sh does)");
        var initrd = Path.Combine(_dir, "initrd.cpio");
        File.WriteAllBytes(initrd, Cpio([("init", 0x81ed, Init()), ("qemu_fw_cfg.ko", 0x81a4, File.ReadAllBytes(module))]));
        var serial = Path.Combine(_dir, "serial.log");
        var (elf, mig) = QemuGuestLayoutTests.DumpAndMigrate(_dir, "linux", q => QemuElfExportTests.RunUntilPanic(q, serial),
            "-M", "pc-i440fx-7.2", "-m", "128", "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=0", "-serial", "file:" + serial,
            "-device", "vmcoreinfo");
        var ours = ElfExportAssert.ExportEquals(_dir, elf, mig, expectedMachine: 62);

        // The notes: one "CORE", one "QEMU", then the guest's "VMCOREINFO" as the last.
        var notes = Notes(ours);
        var log = File.ReadAllText(serial);
        Assert.True(notes.Count == 3, "no VMCOREINFO note; the guest's log ends: " + log[Math.Max(0, log.Length - 1500)..]);
        Assert.Equal(["CORE", "QEMU", "VMCOREINFO"], notes.Select(n => n.Name));
        Assert.Equal(Notes(elf).Last().Bytes, notes.Last().Bytes);
        var text = VmcoreInfo.Text(notes.Last().Bytes);
        Assert.Contains("OSRELEASE=" + KernelRelease(kernel) + "\n", text, StringComparison.Ordinal);
        Assert.Contains("PAGESIZE=4096\n", text, StringComparison.Ordinal);

        // The library locates it from the vmcoreinfo section as QEMU does.
        using var f = File.OpenRead(mig);
        var at = VmcoreInfo.Locate(global::Qevm.Codec.StateDump.Read(f));
        Assert.NotNull(at);
        Assert.True(at.Value.Size >= notes.Last().Bytes.Length);
        Assert.Contains("Attempted to kill init", log, StringComparison.Ordinal);
    }

    // A static x86-64 executable: open("/qemu_fw_cfg.ko"), finit_module(fd, "", 0), exit(0). One PT_LOAD at 0x400000
    // holding the whole file; the code follows the two headers.
    private static byte[] Init()
    {
        byte[] code =
        [
            0xb8, 0x02, 0x00, 0x00, 0x00, // mov eax, 2 (open)
            0x48, 0x8d, 0x3d, 0x22, 0x00, 0x00, 0x00, // lea rdi, [rip+path]
            0x31, 0xf6, 0x31, 0xd2, 0x0f, 0x05, // xor esi, esi; xor edx, edx; syscall
            0x48, 0x89, 0xc7, // mov rdi, rax
            0xb8, 0x39, 0x01, 0x00, 0x00, // mov eax, 313 (finit_module)
            0x48, 0x8d, 0x35, 0x1c, 0x00, 0x00, 0x00, // lea rsi, [rip+path+15] (""); edx = 0 flags
            0x31, 0xd2, 0x0f, 0x05, // xor edx, edx; syscall
            0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05, // mov eax, 60 (exit); xor edi, edi; syscall
            .. "/qemu_fw_cfg.ko\0"u8,
        ];
        const ulong Base = 0x400000;
        var elf = new byte[64 + 56 + code.Length];
        var h = elf.AsSpan();
        ((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F']).CopyTo(h);
        h[4] = 2; // ELFCLASS64
        h[5] = 1; // little-endian
        h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 2); // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 62); // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Base + 120); // e_entry
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], 64); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], 1);
        var p = h[64..];
        BinaryPrimitives.WriteUInt32LittleEndian(p, 1); // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], 5); // R+X
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], Base);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], Base);
        BinaryPrimitives.WriteUInt64LittleEndian(p[32..], (ulong)elf.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(p[40..], (ulong)elf.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(p[48..], 0x1000);
        code.CopyTo(h[120..]);
        return elf;
    }

    // An initramfs: the "newc" cpio format (070701, thirteen 8-digit hex fields, the name, the data, each padded to 4).
    private static byte[] Cpio(IEnumerable<(string Name, int Mode, byte[] Data)> files)
    {
        var o = new MemoryStream();
        int ino = 1;
        void Entry(string name, int mode, byte[] data)
        {
            var header = string.Concat(new[] { ino++, mode, 0, 0, 1, 0, data.Length, 0, 0, 0, 0, name.Length + 1, 0 }
                .Select(v => v.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)));
            o.Write(Encoding.ASCII.GetBytes("070701" + header + name + "\0"));
            while (o.Length % 4 != 0) o.WriteByte(0);
            o.Write(data);
            while (o.Length % 4 != 0) o.WriteByte(0);
        }
        foreach (var (name, mode, data) in files) Entry(name, mode, data);
        Entry("TRAILER!!!", 0, []);
        return o.ToArray();
    }

    // The notes of PT_NOTE: (name, whole note bytes).
    private static List<(string Name, byte[] Bytes)> Notes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var note = ElfCoreFile.Read(path).ProgramHeaders[0];
        var list = new List<(string, byte[])>();
        for (int at = (int)note.Offset, end = at + (int)note.FileSize; at < end;)
        {
            int name = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            int desc = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 4));
            int size = 12 + (name + 3) / 4 * 4 + (desc + 3) / 4 * 4;
            list.Add((Encoding.ASCII.GetString(bytes, at + 12, name).TrimEnd('\0'), bytes[at..(at + size)]));
            at += size;
        }
        return list;
    }

    // The bzImage setup header's kernel_version (boot protocol: a pointer at 0x20e, relative to 0x200), as `file` prints it.
    private static string KernelRelease(string kernel)
    {
        var image = File.ReadAllBytes(kernel);
        int at = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(0x20e)) + 0x200;
        int end = Array.IndexOf(image, (byte)' ', at);
        var release = Encoding.ASCII.GetString(image, at, end - at);
        Assert.Matches(@"^\d+\.\d+\.\d+-", release);
        return release;
    }
}
