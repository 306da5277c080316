#!/usr/bin/env bash
# Prints the path of QEMU 7.2's scripts/analyze-migration.py, taking it first out of Debian's QEMU source package
# (scripts/fetch-qemu-source.sh) when it is not cached. Never committed.
set -euo pipefail
analyze="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/analyze-migration-7.2.py"
if [ ! -s "$analyze" ]; then
  tarball="$(bash "$(dirname "$0")/fetch-qemu-source.sh")"
  mkdir -p "$(dirname "$analyze")"
  tar -xJf "$tarball" -O --wildcards '*/scripts/analyze-migration.py' > "$analyze.tmp"
  mv "$analyze.tmp" "$analyze"
fi
echo "$analyze"
