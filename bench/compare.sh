#!/usr/bin/env bash
# Times qevm (NativeAOT) against QEMU's analyze-migration.py and against cat/cp on streams made by a real
# QEMU, in one run on one machine, warm page cache; prints a markdown table (wall seconds, peak RSS).
# Usage: bench/compare.sh [SIZE...]   (default: 1G 4G; needs about 3 x SIZE of free disk in $BENCH_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1G 4G)
work="${BENCH_DIR:-$(mktemp -d /var/tmp/qevm-bench.XXXXXX)}"
mkdir -p "$work"

command -v qemu-system-x86_64 >/dev/null || { apt-get update -q && apt-get install -y -q qemu-system-x86 qemu-utils; }
command -v /usr/bin/time >/dev/null || apt-get install -y -q time
analyze="$(bash scripts/fetch-analyze.sh)"
dotnet publish src/Qevm.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$work/qevm" >/dev/null
qevm="$work/qevm/qevm"
python="$(command -v python3)"

# measure LABEL FILE CMD...: median wall seconds of $RUNS runs (default 3) and the largest peak RSS (MiB);
# before each run, dirty pages are written out (sync) and the file's pages are read into the cache.
measure() {
  local label="$1" file="$2"; shift 2
  # ONLY=REGEX measures only the commands whose label matches (e.g. ONLY='cp|export').
  if [ -n "${ONLY:-}" ] && ! [[ "$label" =~ $ONLY ]]; then return; fi
  local walls=() rss_max=0
  for _ in $(seq "${RUNS:-3}"); do
    prepare "$file"
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null 2>"$work/stderr.txt" || { echo "| $label | failed: $(tail -n 1 "$work/stderr.txt") | | |"; return; }
    read -r wall rss < "$work/time.txt"
    walls+=("$wall"); [ "$rss" -gt "$rss_max" ] && rss_max="$rss"
  done
  local med; med="$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (${#walls[@]} + 1) / 2 ))p")"
  printf '| %s | %s | %s | %s |\n' "$label" "$(basename "$file")" "$med" "$(awk -v k="$rss_max" 'BEGIN { printf "%.0f", k / 1024 }')"
}

# Before each run: outputs removed, dirty pages written out, the page cache dropped (root only) and the input read
# back, so that every run starts from the same memory state (this VM's timings otherwise drift with what the
# previous run left in the cache).
prepare() {
  rm -rf "$work/extract" "$work/copy.mig" "$work/export.out" "$work/report.html"; sync
  { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null || true
  cat "$1" > /dev/null
}

# ratio LABEL FILE CMD...: CMD and `cp` of FILE run in turns ($RUNS pairs), each after prepare; prints the median of
# each and the median (and range) of CMD's time over cp's in the same pair, the figure that holds across this VM's drift.
ratio() {
  local label="$1" file="$2"; shift 2
  if [ -n "${ONLY:-}" ] && ! [[ "$label" =~ $ONLY ]]; then return; fi
  local cps=() cmds=() ratios=()
  for _ in $(seq "${RUNS:-3}"); do
    prepare "$file"; /usr/bin/time -f "%e" -o "$work/time.txt" cp "$file" "$work/copy.mig"; local c; c="$(cat "$work/time.txt")"
    prepare "$file"; /usr/bin/time -f "%e" -o "$work/time.txt" "$@" > /dev/null 2>&1 || { echo "| $label | $(basename "$file") | failed | | | |" >> "$work/ratios.md"; return; }
    local q; q="$(cat "$work/time.txt")"
    cps+=("$c"); cmds+=("$q"); ratios+=("$(awk -v a="$q" -v b="$c" 'BEGIN { printf "%.2f", a / b }')")
  done
  local n=${#ratios[@]} mid=$(( (${#ratios[@]} + 1) / 2 ))
  local rs; rs="$(printf '%s\n' "${ratios[@]}" | sort -n)"
  printf '| %s | %s | %s | %s | %s | %s× (%s× to %s×) |\n' "$label" "$(basename "$file")" "$n" \
    "$(printf '%s\n' "${cmds[@]}" | sort -n | sed -n "${mid}p")" "$(printf '%s\n' "${cps[@]}" | sort -n | sed -n "${mid}p")" \
    "$(sed -n "${mid}p" <<< "$rs")" "$(head -n 1 <<< "$rs")" "$(tail -n 1 <<< "$rs")" >> "$work/ratios.md"
}

# median of N runs, wall seconds
median() {
  local n="$1"; shift
  for _ in $(seq "$n"); do /usr/bin/time -f "%e" -o "$work/t" "$@" > /dev/null 2>&1; cat "$work/t"; done | sort -n | sed -n "$(( (n + 1) / 2 ))p"
}

echo "Median of ${RUNS:-3} runs per command; before each run dirty pages synced, the page cache dropped and the input read back (warm)."
echo "Ratios: the command and cp run in turns; the median of the per-pair ratios (and their range)."
echo "Machine: $(uname -m), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%d)"
echo "qevm: NativeAOT; analyze-migration.py: QEMU 7.2, $($python --version 2>&1) ($python)"
echo
echo "| command | file | wall s | peak RSS MiB |"
echo "| --- | --- | ---: | ---: |"
rm -f "$work/ratios.md"
for size in "${sizes[@]}"; do
  img="$work/ram-$size.img"; mig="$work/stream-$size.mig"
  [ -s "$mig" ] || python3 bench/make-stream.py "$size" "$img" "$mig"
  # Warm the cache the way a file read from disk is warm: a file just written by QEMU sits in the page cache in
  # small 4 KiB folios, which makes every memory-mapped read cost several times more kernel time than the large
  # folios readahead gives (on Linux 6.x). Dropping the caches once (root only) and reading the file back gives
  # every command the same, common state.
  sync; { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null || echo "(could not drop the page cache: not root)" >&2
  cat "$mig" > /dev/null
  measure "cat > /dev/null" "$mig" cat "$mig"
  measure "cp" "$mig" cp "$mig" "$work/copy.mig"
  measure "cp + sync" "$mig" sh -c 'cp "$0" "$1" && sync "$1"' "$mig" "$work/copy.mig"
  measure "qevm info" "$mig" "$qevm" info "$mig"
  measure "qevm check" "$mig" "$qevm" check "$mig"
  measure "qevm dump" "$mig" "$qevm" dump "$mig"
  measure "qevm extract" "$mig" "$qevm" extract "$mig" -o "$work/extract"
  measure "qevm export --format elf" "$mig" "$qevm" export "$mig" -o "$work/export.out" --format elf
  ratio "qevm extract" "$mig" "$qevm" extract "$mig" -o "$work/extract"
  ratio "qevm export --format elf" "$mig" "$qevm" export "$mig" -o "$work/export.out" --format elf
  measure "qevm report" "$mig" "$qevm" report "$mig" -o "$work/report.html"
  [ -s "$work/report.html" ] && echo "| (qevm report's page) | $(basename "$mig") | $(stat -c %s "$work/report.html") bytes | |"
  measure "analyze-migration.py -d state" "$mig" "$python" "$analyze" -f "$mig" -d state
  # -x writes into the current folder: a fresh one per run.
  measure "analyze-migration.py -x" "$mig" sh -c 'mkdir -p "$0" && cd "$0" && exec "$@"' "$work/extract" "$python" "$analyze" -f "$mig" -x
  rm -f "$img"
done
if [ -s "$work/ratios.md" ]; then
  echo
  echo "Against cp in turns (the command, then cp, after the same preparation; median of the per-pair ratios):"
  echo
  echo "| command | file | pairs | wall s | cp wall s | ratio to cp |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  cat "$work/ratios.md"
fi
small="tests/fixtures/x86-pc/full.mig"
echo
echo "Small files, median of 11 runs (whole process):"
echo
echo "| command | file | wall s |"
echo "| --- | --- | ---: |"
echo "| qevm dump | x86-pc/full.mig | $(median 11 "$qevm" dump "$small") |"
echo "| analyze-migration.py -d state | x86-pc/full.mig | $(median 11 "$python" "$analyze" -f "$small" -d state) |"
echo "| qevm info | x86-pc/device.state | $(median 11 "$qevm" info tests/fixtures/x86-pc/device.state) |"
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
