#!/usr/bin/env bash
# The project's test command (README.md, .ci/run): installs what the tests need (QEMU 7.2 from Debian's
# packages when missing), runs the whole suite, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v qemu-system-x86_64 >/dev/null 2>&1 || ! command -v qemu-img >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing QEMU (qemu-system-x86, qemu-utils)..."
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q qemu-system-x86 qemu-utils \
    || { echo "could not install QEMU"; echo "0 passed, 1 failed"; exit 1; }
fi
qemu-system-x86_64 --version | head -n 1

# QEMU 7.2's scripts/analyze-migration.py, for the test that compares `qevm dump --format analyze` with it.
# It comes from Debian's QEMU source package (never committed): a deb-src entry is added that reuses the
# configured Debian sources, and only the orig tarball is downloaded.
analyze="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/analyze-migration-7.2.py"
if [ ! -s "$analyze" ]; then
  echo "fetching analyze-migration.py from QEMU's source package..."
  (
    set -e
    srcver="$(dpkg-query -W -f='${source:Version}' qemu-system-x86)"
    if ! apt-cache showsrc qemu 2>/dev/null | grep -q '^Version:'; then
      for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && grep -q '^Types: deb$' "$f" && sed 's/^Types: deb$/Types: deb-src/' "$f" > "/etc/apt/sources.list.d/qevm-src-$(basename "$f")"
      done
      if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/qevm-src.list
      fi
      apt-get update -q
    fi
    work="$(mktemp -d)"
    cd "$work"
    apt-get source --download-only -q "qemu=$srcver" || true
    mkdir -p "$(dirname "$analyze")"
    tar -xJf "$work"/qemu_*.orig.tar.xz -O --wildcards '*/scripts/analyze-migration.py' > "$analyze.tmp"
    mv "$analyze.tmp" "$analyze"
    rm -rf "$work"
  ) || echo "could not fetch analyze-migration.py (the test that needs it will fail)"
fi
export QEVM_ANALYZE_MIGRATION="$analyze"

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
dotnet test Qevm.slnx -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?

trx="$(find "$results" -name '*.trx' | head -n 1)"
if [ -z "$trx" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
passed="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
failed="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
total="$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")"
executed="$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")"
# Tests that did not run count as failed: nothing is skipped silently.
failed=$(( ${failed:-0} + ${total:-0} - ${executed:-0} ))
echo "${passed:-0} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
