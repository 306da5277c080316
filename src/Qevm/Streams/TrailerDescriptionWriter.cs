namespace Qevm.Streams;

/// <summary>
/// Writes the trailer's description of a section from the tree a save wrote (QEMU's <c>vmsd_desc_field_start</c>
/// / <c>vmsd_desc_field_end</c>, §13.3): per field its name, <c>array_len</c> or <c>index</c>, type, nested
/// <c>struct</c> and size; then the subsections written.
/// </summary>
internal static class TrailerDescriptionWriter
{
    /// <summary>The members of one description object: <c>vmsd_name</c>, <c>version</c>, <c>fields</c>, <c>subsections</c>.</summary>
    public static void Write(QemuJsonWriter json, VmStruct s, int version)
    {
        var d = s.Description;
        json.String("vmsd_name", d.Name);
        json.Int("version", version);
        json.StartArray("fields");
        bool anySubsection = false;
        foreach (var (name, value) in s.Members)
        {
            if (value is VmStruct { SubsectionVersion: not null })
            {
                anySubsection = true;
                continue;
            }
            var f = value.Field!;
            bool compress = CanCompress(f);
            int n = value is VmArray a ? a.Elements.Count : 1;
            for (int i = 0; i < n; i++)
            {
                var element = value is VmArray array ? array.Elements[i] : value;
                json.StartObject();
                json.String("name", name);
                if (n > 1)
                {
                    if (compress) json.Int("array_len", n);
                    else json.Int("index", i);
                }
                json.String("type", f.TypeName);
                if (element is VmStruct nested)
                {
                    json.StartObject("struct");
                    Write(json, nested, nested.Description.VersionId);
                    json.EndObject();
                }
                json.Int("size", element.Length);
                json.EndObject();
                // A compressible array is described by its first element only.
                if (compress) break;
            }
        }
        json.EndArray();
        if (!anySubsection) return;
        json.StartArray("subsections");
        foreach (var (_, value) in s.Members)
        {
            if (value is not VmStruct { SubsectionVersion: { } v } sub) continue;
            json.StartObject();
            Write(json, sub, (int)v);
            json.EndObject();
        }
        json.EndArray();
    }

    // vmsd_can_compress: fields that come and go (field_exists, or structs with subsections) are described per element.
    private static bool CanCompress(VmStateField f)
    {
        if (f.Exists is not null) return false;
        if (f.Struct is { } d && f.Type is VmStateType.Struct or VmStateType.VStruct)
        {
            if (d.Subsections.Count > 0) return false;
            foreach (var g in d.Fields)
                if (!CanCompress(g)) return false;
        }
        return true;
    }
}
