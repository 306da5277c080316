#!/usr/bin/env bash
# Builds (once) a minimal Debian chroot holding another QEMU beside the installed 7.2 and prints its folder:
#   get-qemu-chroot.sh bullseye   -> QEMU 5.2
#   get-qemu-chroot.sh sid        -> QEMU 11.1
# Run QEMU inside with scripts/qemu-in-chroot.sh DIR qemu-system-x86_64 ... (it mounts /proc and /dev first).
# Cached in ~/.cache/qevm/chroot-SUITE (about 450 MB each, never committed). debootstrap takes its packages from
# the Debian mirror already configured on the machine. Needs root.
set -euo pipefail

suite="${1:?usage: get-qemu-chroot.sh SUITE (bullseye | sid)}"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/chroot-$suite"

if [ -x "$dest/usr/bin/qemu-system-x86_64" ] && [ -f "$dest/.qevm-complete" ]; then
  echo "$dest"
  exit 0
fi

# The first deb URI configured for Debian (deb822 or one-line format).
configured_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk 'BEGIN { RS=""; FS="\n" }
         { types=""; uris=""; suites="";
           for (i = 1; i <= NF; i++) { line = $i; sub(/^[ \t]+/, "", line); if (line ~ /^#/) continue;
             if (line ~ /^Types:/)  { sub(/^Types:[ \t]*/, "", line); types = line }
             if (line ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", line); uris = line }
             if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = " " line " " } }
           if ((" " types " ") ~ / deb / && suites ~ / bookworm / && uris != "") { split(uris, u, /[ \t]+/); print u[1]; exit } }' "$f"
  done | head -n 1
  [ -r /etc/apt/sources.list ] && awk '$1 == "deb" && $0 ~ / bookworm( |$)/ {
      for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list
  return 0
}

mirror="$(configured_mirror | head -n 1)"
[ -n "$mirror" ] || { echo "get-qemu-chroot: no configured Debian mirror to reuse" >&2; exit 1; }
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
if ! command -v debootstrap >/dev/null 2>&1; then
  $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q debootstrap >&2
fi

# A half-made chroot may still have /tmp and /dev bound inside: unmount them first, and never cross into a mount.
for m in tmp dev proc; do mountpoint -q "$dest/$m" 2>/dev/null && $sudo umount -R "$dest/$m"; done
rm -rf --one-file-system "$dest"
mkdir -p "$(dirname "$dest")"
$sudo debootstrap --variant=minbase --include=qemu-system-x86,qemu-utils "$suite" "$dest" "$mirror" >&2
# The files QEMU 5.2 needs to resolve localhost for its default display, and the chroot's QEMU version on stderr.
cp /etc/hosts "$dest/etc/hosts" 2>/dev/null || true
touch "$dest/.qevm-complete"
bash "$(dirname "$0")/qemu-in-chroot.sh" "$dest" qemu-system-x86_64 --version | head -n 1 >&2
echo "$dest"
