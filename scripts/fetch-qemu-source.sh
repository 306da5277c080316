#!/usr/bin/env bash
# Prints the path of the orig tarball of Debian's QEMU source package for the installed qemu-system-x86 (7.2),
# downloading it first into ~/.cache/qevm/qemu-src when it is not cached. A deb-src entry is added that reuses the
# configured Debian sources; only the tarball is downloaded. scripts/fetch-analyze.sh and fetch-static-checker.sh
# take their files out of it. Never committed.
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/qemu-src"
if ! ls "$cache"/qemu_*.orig.tar.xz >/dev/null 2>&1; then
  echo "fetching QEMU's source package..." >&2
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
  (cd "$cache" && apt-get source --download-only -q "qemu=$srcver" >&2) || true
fi
ls "$cache"/qemu_*.orig.tar.xz | head -n 1
