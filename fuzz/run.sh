#!/usr/bin/env bash
# Fuzzes every input surface of Qevm with AFL++ (Debian's afl++) through SharpFuzz: each target of
# fuzz/Qevm.Fuzz (streams, containers, compose, schema, loader; `dotnet Qevm.Fuzz.dll --list`) runs for SECONDS
# (default 40) from fuzz/seeds/TARGET/, one after the other; with --total, SECONDS is shared out among the
# targets (CI's budget stays the same when a target is added). Inputs that break a target's contract (an untyped
# exception, more memory than the cap, a refused load that changed the devices) and that replay outside afl-fuzz
# are copied to fuzz/crashes/TARGET/ (commit them: the suite replays every file there); inputs that take longer than the
# timeout go to fuzz/hangs/TARGET/. Then the script exits 1.
# Usage: bash fuzz/run.sh [--total] [SECONDS] [TARGET...]   (all targets when none is named)
set -euo pipefail
cd "$(dirname "$0")/.."
total=0
if [ "${1:-}" = --total ]; then total=1; shift; fi
seconds="${1:-40}"
shift || true
command -v afl-fuzz >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q afl++; }
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet publish fuzz/Qevm.Fuzz -c Release -o "$work/bin" >/dev/null
cp -r "$work/bin" "$work/replay"
sharpfuzz "$work/bin/Qevm.dll" >/dev/null
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(dotnet "$work/bin/Qevm.Fuzz.dll" --list); fi
if [ "$total" = 1 ]; then seconds=$(( seconds / ${#targets[@]} )); fi

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_BIN_CHECK=1
# The memory cap: the GC's hard limit (ulimit -v does not fit .NET's address-space reservations), so an input
# that makes Qevm allocate more ends in OutOfMemoryException, a crash. Time: afl-fuzz's -t per input (the first
# input also pays for the JIT).
export DOTNET_GCHeapHardLimit=0x20000000
failed=0
for t in "${targets[@]}"; do
  [ -d "fuzz/seeds/$t" ] || { echo "fuzzing $t: no seeds in fuzz/seeds/$t"; failed=1; continue; }
  out="$work/findings-$t"
  # A JSON target's dictionary (its format's names and values) lets mutations build documents, not only break them.
  dict=()
  if [ -f "fuzz/dicts/$t.dict" ]; then dict=(-x "fuzz/dicts/$t.dict"); fi
  if ! afl-fuzz -i "fuzz/seeds/$t" -o "$out" "${dict[@]}" -V "$seconds" -t 10000 -m none -- dotnet "$work/bin/Qevm.Fuzz.dll" "$t" > "$work/afl-$t.log" 2>&1; then
    echo "fuzzing $t: afl-fuzz failed"; tail -n 30 "$work/afl-$t.log"; failed=1; continue
  fi
  stats="$out/default/fuzzer_stats"
  stat() { grep -E "^$1 " "$stats" | sed 's/.*: *//'; }
  echo "fuzzing $t: $(stat execs_done) executions, $(stat corpus_count) paths, $(stat saved_crashes) crashes, $(stat saved_hangs) hangs in $(stat run_time) s"
  for kind in crashes hangs; do
    kept=0
    for c in "$out"/default/"$kind"/id*; do
      [ -e "$c" ] || continue
      # A crash is kept when it replays alone outside afl-fuzz (uninstrumented, same memory cap). One that does not
      # depends on what the process ran before (memory kept across inputs, as pooled buffers once were): it is
      # reported, for a longer look, but there is no input to commit.
      if [ "$kind" = crashes ] && timeout 60 dotnet "$work/replay/Qevm.Fuzz.dll" "$t" "$c" >/dev/null 2>&1; then
        echo "fuzzing $t: $(basename "$c") does not replay alone; not kept"; continue
      fi
      mkdir -p "fuzz/$kind/$t"
      cp "$c" "fuzz/$kind/$t/$(sha256sum "$c" | cut -c1-16).bin"
      kept=$((kept + 1))
    done
    if [ "$kept" -gt 0 ]; then echo "fuzzing $t found $kept $kind: copied to fuzz/$kind/$t/"; failed=1; fi
  done
done
[ "$failed" = 0 ] && echo "fuzzing: no crash in ${#targets[@]} target(s), ${seconds} s each"
exit "$failed"
