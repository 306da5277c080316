#!/usr/bin/env bash
# Fuzzes Qevm's reader, decoder and trailer parser with AFL++ (Debian's afl++) through SharpFuzz for SECONDS
# (default 120), starting from fuzz/seeds. Inputs that make anything but the typed error escape are copied to
# fuzz/crashes/ (commit them: the suite replays every file there) and the script exits 1.
# Usage: bash fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
command -v afl-fuzz >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q afl++; }
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet publish fuzz/Qevm.Fuzz -c Release -o "$work/bin" >/dev/null
sharpfuzz "$work/bin/Qevm.dll" >/dev/null
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_BIN_CHECK=1
afl-fuzz -i fuzz/seeds -o "$work/findings" -V "$seconds" -t 10000 -m none -- dotnet "$work/bin/Qevm.Fuzz.dll" > "$work/afl.log" 2>&1 || { tail -n 30 "$work/afl.log"; exit 1; }
grep -E "execs_done|paths_total|corpus_count|saved_crashes|unique_crashes" "$work/findings/default/fuzzer_stats" || true
crashes=("$work"/findings/default/crashes/id*)
if [ -e "${crashes[0]}" ]; then
  mkdir -p fuzz/crashes
  for c in "${crashes[@]}"; do cp "$c" "fuzz/crashes/$(sha256sum "$c" | cut -c1-16).bin"; done
  echo "fuzzing found ${#crashes[@]} crash(es): copied to fuzz/crashes/"
  exit 1
fi
echo "fuzzing: no crash in ${seconds} s"
