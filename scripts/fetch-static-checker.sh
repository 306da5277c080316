#!/usr/bin/env bash
# Prints the folder holding QEMU's scripts/vmstate-static-checker.py and its test data
# (vmstate-static-checker-data/dump1.json, dump2.json), fetching them first when they are not cached.
# They come from Debian's QEMU source package, as in scripts/fetch-analyze.sh: a deb-src entry reuses the
# configured Debian sources, the source package is downloaded into ~/.cache/qevm/qemu-src, and only those
# files are taken out of its orig tarball. Never committed.
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/qemu-src"
out="$cache/static-checker"
if [ ! -s "$out/vmstate-static-checker.py" ] || [ ! -s "$out/vmstate-static-checker-data/dump2.json" ]; then
  echo "fetching vmstate-static-checker.py from QEMU's source package..." >&2
  srcver="$(dpkg-query -W -f='${source:Version}' qemu-system-x86)"
  if ! apt-cache showsrc qemu 2>/dev/null | grep -q '^Version:'; then
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && grep -q '^Types: deb$' "$f" && sed 's/^Types: deb$/Types: deb-src/' "$f" > "/etc/apt/sources.list.d/qevm-src-$(basename "$f")"
    done
    if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/qevm-src.list
    fi
    apt-get update -q >&2
  fi
  mkdir -p "$cache"
  if ! ls "$cache"/qemu_*.orig.tar.xz >/dev/null 2>&1; then
    (cd "$cache" && apt-get source --download-only -q "qemu=$srcver" >&2) || true
  fi
  tarball="$(ls "$cache"/qemu_*.orig.tar.xz | head -n 1)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  tar -xJf "$tarball" -C "$work" --wildcards '*/scripts/vmstate-static-checker.py' '*/tests/vmstate-static-checker-data/*'
  rm -rf "$out"
  mkdir -p "$out"
  cp "$work"/*/scripts/vmstate-static-checker.py "$out/"
  cp -r "$work"/*/tests/vmstate-static-checker-data "$out/"
fi
echo "$out"
