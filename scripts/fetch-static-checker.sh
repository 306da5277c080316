#!/usr/bin/env bash
# Prints the folder holding QEMU's scripts/vmstate-static-checker.py and its test data
# (vmstate-static-checker-data/dump1.json, dump2.json), taking them first out of Debian's QEMU source package
# (scripts/fetch-qemu-source.sh) when they are not cached. Never committed.
set -euo pipefail
out="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/qemu-src/static-checker"
if [ ! -s "$out/vmstate-static-checker.py" ] || [ ! -s "$out/vmstate-static-checker-data/dump2.json" ]; then
  tarball="$(bash "$(dirname "$0")/fetch-qemu-source.sh")"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  tar -xJf "$tarball" -C "$work" --wildcards '*/scripts/vmstate-static-checker.py' '*/tests/vmstate-static-checker-data/*'
  rm -rf "$out"
  mkdir -p "$out"
  cp "$work"/*/scripts/vmstate-static-checker.py "$out/"
  cp -r "$work"/*/tests/vmstate-static-checker-data "$out/"
fi
echo "$out"
