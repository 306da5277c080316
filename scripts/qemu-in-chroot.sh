#!/usr/bin/env bash
# Runs a program inside a chroot made by get-qemu-chroot.sh, with /proc, /dev and /tmp mounted inside (bind mounts,
# made once and kept), so QEMU there sees the same /tmp paths (sockets, streams) as the tests. Needs root.
#   qemu-in-chroot.sh DIR qemu-system-x86_64 -M pc-i440fx-5.2 ...
set -euo pipefail
dir="${1:?usage: qemu-in-chroot.sh DIR PROGRAM [ARGS...]}"
shift
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
for m in proc dev tmp; do
  mountpoint -q "$dir/$m" || {
    case "$m" in
      proc) $sudo mount -t proc proc "$dir/proc" ;;
      *) $sudo mount --rbind "/$m" "$dir/$m" ;;
    esac
  }
done
exec $sudo chroot "$dir" "$@"
