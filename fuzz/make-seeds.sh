#!/usr/bin/env bash
# Writes the JSON and loader seeds of fuzz/seeds/ from the fixtures (small excerpts: AFL++ mutates small inputs
# faster). The streams and containers seeds are small files committed as they are.
# Usage: bash fuzz/make-seeds.sh   (after `dotnet build Qevm.slnx -c Release`)
set -euo pipefail
cd "$(dirname "$0")/.."
qevm="src/Qevm.Cli/bin/Release/net10.0/qevm"
seeds=fuzz/seeds
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Compact JSON; python keeps 64-bit integers exact (jq turns them into doubles). With keys: only those top-level keys.
compact() { python3 -c 'import json, sys; d = json.load(sys.stdin); k = sys.argv[1:]; d = {x: d[x] for x in d if x in k} if k else d; print(json.dumps(d, separators=(",", ":")))' "$@"; }

# compose: dump --json of a small stream and of a libvirt image (the container record), compact.
"$qevm" dump --json "$seeds/streams/tiny.mig" | compact > "$seeds/compose/tiny.mig.json"
"$qevm" dump --json "$seeds/containers/tiny.libvirt" | compact > "$seeds/compose/tiny.libvirt.json"

# schema: the trailer of tiny.mig, a catalogue harvested from it, and -dump-vmstate output cut to the sample
# devices' types (isa-i8259, mc146818rtc, isa-pit) and the parents they name. The schema target decodes
# x86-pc's device.state with each.
python3 - "$seeds/streams/tiny.mig" > "$seeds/schema/tiny.trailer.json" <<'PY'
import json, sys
data = open(sys.argv[1], 'rb').read()
start = data.index(b'{"page_size"')
doc, _ = json.JSONDecoder().raw_decode(data[start:].decode('latin-1'))
print(json.dumps(doc, separators=(',', ':')))
PY
"$qevm" schema harvest "$seeds/streams/tiny.mig" -o "$work/catalogue.json"
compact < "$work/catalogue.json" > "$seeds/schema/tiny.catalogue.json"
gunzip -c tests/fixtures/x86-pc/schema.json.gz \
  | compact vmschkmachine isa-i8259 pic-common mc146818rtc isa-pit pit-common \
  > "$seeds/schema/x86-pc.dump-vmstate.json"

# loader: x86-pc's device.state cut to the header, the sample devices' sections and EOF.
"$qevm" dump --json tests/fixtures/x86-pc/device.state > "$work/dump.json"
python3 - tests/fixtures/x86-pc/device.state "$work/dump.json" > "$seeds/loader/x86-pc.sample.state" <<'PY'
import json, sys
data = open(sys.argv[1], 'rb').read()
dump = json.load(open(sys.argv[2]))
out = bytearray(data[:8])
for s in dump['sections']:
    if s['idstr'] in ('i8259', 'mc146818rtc', 'i8254'):
        end = s['payload_offset'] + s['payload_length'] + 5  # the footer
        out += data[s['record_offset']:end]
out.append(0)
sys.stdout.buffer.write(out)
PY
# compose again: the dump of that device-state file, whose sections have fields.
"$qevm" dump --json "$seeds/loader/x86-pc.sample.state" --schema "$seeds/schema/x86-pc.dump-vmstate.json" | compact > "$seeds/compose/x86-pc.sample.json"
ls -l "$seeds"/compose "$seeds"/schema "$seeds"/loader
