#!/usr/bin/env bash
# Unpacks a Linux kernel (Debian bookworm's linux-image-cloud-amd64, ~27 MB) without installing it, for the test that
# boots a guest into long mode (its ELF core is EM_X86_64 with the x86-64 NT_PRSTATUS), and prints the vmlinuz path.
# Beside it qemu_fw_cfg.ko, the module that writes the guest's VMCOREINFO address to QEMU's vmcoreinfo device (the
# VMCOREINFO test loads it from a tiny initramfs).
# Cached in ~/.cache/qevm/kernel (never committed).
set -euo pipefail

dest="${XDG_CACHE_HOME:-$HOME/.cache}/qevm/kernel"
if [ -s "$dest/vmlinuz" ] && [ -s "$dest/qemu_fw_cfg.ko" ]; then
  echo "$dest/vmlinuz"
  exit 0
fi
mkdir -p "$dest"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
package="$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image/ { print $2; exit }')"
[ -n "$package" ] || { echo "no linux-image-cloud-amd64 in the apt sources" >&2; exit 1; }
(cd "$work" && apt-get download -q "$package" >&2)
dpkg-deb --fsys-tarfile "$work"/*.deb | tar x -C "$work" --wildcards './boot/vmlinuz*' './lib/modules/*/kernel/drivers/firmware/qemu_fw_cfg.ko'
mv "$work"/boot/vmlinuz* "$dest/vmlinuz"
mv "$work"/lib/modules/*/kernel/drivers/firmware/qemu_fw_cfg.ko "$dest/qemu_fw_cfg.ko"
echo "$dest/vmlinuz"
