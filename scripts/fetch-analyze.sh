#!/usr/bin/env bash
# Prints the path of QEMU 7.2's scripts/analyze-migration.py, fetching it first when it is not cached.
# It comes from Debian's QEMU source package: a deb-src entry is added that reuses the configured Debian
# sources, only the orig tarball is downloaded, and the one file is taken out of it. Never committed.
set -euo pipefail
analyze="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/analyze-migration-7.2.py"
if [ ! -s "$analyze" ]; then
  echo "fetching analyze-migration.py from QEMU's source package..." >&2
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
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get source --download-only -q "qemu=$srcver" >&2) || true
  mkdir -p "$(dirname "$analyze")"
  tar -xJf "$work"/qemu_*.orig.tar.xz -O --wildcards '*/scripts/analyze-migration.py' > "$analyze.tmp"
  mv "$analyze.tmp" "$analyze"
fi
echo "$analyze"
