#!/usr/bin/env bash
# Unpacks QEMU 10.0.2 (x86) and SeaBIOS 1.16.3 from Debian bookworm-backports without installing them, for the
# tests that run QEMU 10 beside the installed 7.2, and prints the folder of an env.sh to source:
#   QEMU10_ROOT, QEMU10_BIN, QEMU_MODULE_DIR, QEMU10_FIRMWARE_ARGS (-L for QEMU 10's own firmware folders).
# Cached in ~/.cache/qevm/qemu10 (never committed). The apt source it adds, when no bookworm-backports source is
# configured, is a file of the project's own that reuses the mirror address already configured on the machine.
#
# Why every module package: QEMU 10 looks for modules in $QEMU_MODULE_DIR and then in the installed 7.2's folder; a
# module it takes from 7.2 aborts it ("Only modules from the same build can be loaded"). Why SeaBIOS and iPXE from
# backports and -L: without -L the unpacked QEMU 10 searches 7.2's firmware folders (and QEMU 10 wants SeaBIOS
# 1.16.3, bookworm has 1.16.2).
set -euo pipefail

dest="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/qemu10"
version="${QEMU10_VERSION:-1:10.0.2+ds-2+deb13u1~bpo12+1}"
seabios="${SEABIOS_VERSION:-1.16.3-2~bpo12+1}"
packages="qemu-system-x86 qemu-system-common qemu-system-data qemu-utils qemu-block-extra qemu-system-gui qemu-system-modules-opengl qemu-system-modules-spice"
suite=bookworm-backports
sources_file=/etc/apt/sources.list.d/qevm-bookworm-backports.sources

if [ -s "$dest/env.sh" ] && "$dest/root/usr/bin/qemu-system-x86_64" --version >/dev/null 2>&1; then
  echo "$dest/env.sh"
  exit 0
fi

# URI and Signed-By of the first deb822 stanza of type deb for plain "bookworm", or the URI of a sources.list line.
configured_mirror() {
  local f=/etc/apt/sources.list.d/debian.sources
  if [ -r "$f" ]; then
    awk 'BEGIN { RS=""; FS="\n" }
         { types=""; uris=""; suites=""; signed="";
           for (i = 1; i <= NF; i++) { line = $i; sub(/^[ \t]+/, "", line); if (line ~ /^#/) continue;
             if (line ~ /^Types:/)     { sub(/^Types:[ \t]*/, "", line); types = line }
             if (line ~ /^URIs:/)      { sub(/^URIs:[ \t]*/, "", line); uris = line }
             if (line ~ /^Suites:/)    { sub(/^Suites:[ \t]*/, "", line); suites = " " line " " }
             if (line ~ /^Signed-By:/) { sub(/^Signed-By:[ \t]*/, "", line); signed = line } }
           if ((" " types " ") ~ / deb / && suites ~ / bookworm / && uris != "") { split(uris, u, /[ \t]+/); print u[1] "\t" signed; exit } }' "$f"
    return
  fi
  [ -r /etc/apt/sources.list ] && awk '$1 == "deb" && $0 ~ / bookworm( |$)/ {
      for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { print $i "\t"; exit } }' /etc/apt/sources.list
}

if ! grep -rqsE "^[^#]*\b${suite}\b" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  IFS=$'\t' read -r mirror signed_by < <(configured_mirror) || true
  [ -n "${mirror:-}" ] || { echo "get-qemu10: no configured bookworm mirror to reuse" >&2; exit 1; }
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
    "$mirror" "$suite" "${signed_by:-/usr/share/keyrings/debian-archive-keyring.gpg}" > "$sources_file"
fi
apt-get update -qq >&2

rm -rf "$dest"
mkdir -p "$dest/debs" "$dest/root"
specs=()
for p in $packages; do specs+=("$p=$version"); done
specs+=("seabios=$seabios")
ipxe="$(apt-cache policy ipxe-qemu | awk '/Candidate:/ { print $2; exit }')"
[ -n "$ipxe" ] && [ "$ipxe" != "(none)" ] && specs+=("ipxe-qemu=$ipxe")
(cd "$dest/debs" && apt-get download -q "${specs[@]}" >&2)
for deb in "$dest"/debs/*.deb; do dpkg -x "$deb" "$dest/root"; done
rm -rf "$dest/debs"

root="$dest/root"
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
"$root/usr/bin/qemu-system-x86_64" --version | head -n 1 >&2
cat > "$dest/env.sh.tmp" <<ENV
export QEMU10_ROOT=$root
export QEMU10_BIN=$root/usr/bin
export QEMU_MODULE_DIR=$root/usr/lib/$multiarch/qemu
export QEMU10_FIRMWARE_ARGS="-L $root/usr/share/qemu -L $root/usr/share/seabios -L $root/usr/lib/ipxe/qemu"
ENV
mv "$dest/env.sh.tmp" "$dest/env.sh"
echo "$dest/env.sh"
