using CsCheck;

namespace Qevm.Tests.Properties;

/// <summary>
/// Generated descriptions with bytes that follow them (scalars of every size, buffers, NULL markers, capability
/// strings, nested structs, tmp, arrays and subsections): decoding uses every byte, and encoding the tree gives
/// the bytes back.
/// </summary>
public class CodecProperties
{
    private static readonly string[] ScalarTypes =
        ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "int32 equal", "int32 le", "uint8 equal", "uint16 equal", "uint32 equal", "int64 equal", "timer", "CPU_Double_U"];

    private static int SizeOf(string type) => type switch
    {
        "bool" or "int8" or "uint8" or "uint8 equal" => 1,
        "int16" or "uint16" or "uint16 equal" => 2,
        "int32" or "uint32" or "int32 equal" or "int32 le" or "uint32 equal" => 4,
        _ => 8,
    };

    // A description and a generator of bytes that follow it.
    private sealed record Shape(VmStateDescription Description, Gen<byte[]> Bytes);

    private static Gen<Shape> Description(int depth, string name) =>
        Gen.Int[0, depth > 1 ? 2 : 5].SelectMany(fieldCount =>
            Field(depth, name, 0).Array[fieldCount].SelectMany(fields =>
                (depth > 1 ? Gen.Const(0) : Gen.Int[0, 2]).SelectMany(subCount =>
                    Gen.Int[0, 1000].Select(v => (fields, subCount, v)))))
        .SelectMany(t =>
        {
            var subs = new List<Gen<Shape>>();
            for (int i = 0; i < t.subCount; i++) subs.Add(Description(depth + 1, name + "/sub" + i));
            return Sequence(subs).Select(subShapes =>
            {
                var fields = new List<VmStateField>();
                var gens = new List<Gen<byte[]>>();
                for (int i = 0; i < t.fields.Length; i++)
                {
                    var (f, g) = t.fields[i];
                    // Names are unique per description, as QEMU's trailer makes them (name[k]).
                    fields.Add(new VmStateField(f.Name + "_" + i, f.TypeName, f.Size, f.Count) { IsArray = f.IsArray, Struct = f.Struct });
                    gens.Add(g);
                }
                var subDescriptions = new List<VmStateDescription>();
                foreach (var s in subShapes)
                {
                    subDescriptions.Add(s.Description);
                    var header = new List<byte> { 0x05, (byte)s.Description.Name.Length };
                    header.AddRange(System.Text.Encoding.Latin1.GetBytes(s.Description.Name));
                    header.AddRange([0, 0, 0, (byte)s.Description.VersionId]);
                    var h = header.ToArray();
                    gens.Add(s.Bytes.Select(b => (byte[])[.. h, .. b]));
                }
                var d = new VmStateDescription(name, t.v % 50, fields, subDescriptions);
                return new Shape(d, Sequence(gens).Select(parts => parts.SelectMany(p => p).ToArray()));
            });
        });

    private static Gen<(VmStateField Field, Gen<byte[]> Bytes)> Field(int depth, string parent, int _) =>
        Gen.Int[0, depth > 1 ? 4 : 6].SelectMany(kind => Gen.Int[1, 4].SelectMany(count => Gen.Bool.SelectMany(isArray => kind switch
        {
            0 or 1 => Gen.Int[0, ScalarTypes.Length - 1].Select(i => ScalarTypes[i]).Select(type =>
            {
                int size = SizeOf(type);
                Gen<byte[]> one = type == "bool" ? Gen.Byte[0, 1].Select(b => new[] { b }) : Gen.Byte.Array[size];
                return (new VmStateField("f", type, size, count) { IsArray = isArray || count > 1 }, Repeat(one, count));
            }),
            2 => Gen.Int[0, 40].Select(size => (new VmStateField("buf", "buffer", size, count) { IsArray = isArray || count > 1 }, Repeat(Gen.Byte.Array[size], count))),
            3 => Gen.Const((new VmStateField("ptr", "nullptr", 1, count) { IsArray = true }, Repeat(Gen.Const(new byte[] { 0x30 }), count))),
            4 => Gen.Int[0, 20].Select(len => (new VmStateField("cap", "capability", len + 1, count) { IsArray = isArray || count > 1 },
                Repeat(Gen.Byte[(byte)'a', (byte)'z'].Array[len].Select(b => (byte[])[(byte)len, .. b]), count))),
            5 => Description(depth + 1, parent + "_s").Select(s => (new VmStateField("st", "struct", 0, count) { IsArray = isArray || count > 1, Struct = s.Description }, Repeat(s.Bytes, count))),
            _ => Description(depth + 1, parent + "_t").SelectMany(s => s.Bytes.Select(sample => (sample.Length, s))).Select(p =>
                (new VmStateField("tmp", "tmp", p.Length, 1) { Struct = p.s.Description }, p.s.Bytes.Where(b => b.Length == p.Length))),
        })));

    private static Gen<T[]> Sequence<T>(List<Gen<T>> gens)
    {
        Gen<List<T>> acc = Gen.Const(0).Select(_ => new List<T>());
        foreach (var g in gens)
        {
            var prev = acc;
            acc = prev.SelectMany(list => g.Select(x => new List<T>(list) { x }));
        }
        return acc.Select(l => l.ToArray());
    }

    private static Gen<byte[]> Repeat(Gen<byte[]> one, int count) => one.Array[count].Select(parts => parts.SelectMany(p => p).ToArray());

    [Fact]
    public void Decode_UsesEveryByte_AndEncodeGivesThemBack()
    {
        int nested = 0, withSubsections = 0, large = 0;
        Description(0, "dev").SelectMany(s => s.Bytes.Select(b => (s.Description, b))).Sample(t =>
        {
            var (description, bytes) = t;
            var root = VmStateCodec.Decode(description, bytes, 1000);
            Assert.Equal(bytes.Length, root.Length);
            Assert.Equal(1000, root.Offset);
            Assert.Equal(bytes, VmStateCodec.Encode(root));
            if (description.Fields.Any(f => f.Struct is not null)) nested++;
            if (description.Subsections.Count > 0) withSubsections++;
            if (bytes.Length > 64) large++;
        }, iter: 2000, threads: 1);
        // The generator must reach the interesting shapes, or the property proves little.
        Assert.True(nested > 200 && withSubsections > 200 && large > 200, $"nested {nested}, subsections {withSubsections}, large {large}");
    }

    [Fact]
    public void Decode_OfTruncatedBytes_FailsWithAnOffset()
    {
        Description(0, "dev").SelectMany(s => s.Bytes.Select(b => (s.Description, b))).Where(t => t.b.Length > 0).Sample(t =>
        {
            var (description, bytes) = t;
            var e = Assert.Throws<VmStateFormatException>(() => VmStateCodec.Decode(description, bytes.AsSpan(0, bytes.Length - 1), 0));
            Assert.InRange(e.Offset, 0, bytes.Length);
        }, iter: 1000, threads: 1);
    }
}
