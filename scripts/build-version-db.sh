#!/usr/bin/env bash
# Builds Qevm's built-in database of QEMU versions (src/Qevm/Validation/Versions/qemu-versions.json.br) from the QEMUs
# the tests use: 5.2 (bullseye chroot), 7.2 (installed), 10.0 (scripts/get-qemu10.sh) and 11.1 (sid chroot).
# For each version it lists the machine types (-machine help) of qemu-system-x86_64 and qemu-system-aarch64, keeps
# every pc-i440fx-*, pc-q35-* and virt-* (and the aliases pc, q35 and virt), and for each one saves
#   MACHINE.json  its -dump-vmstate output (the VMState descriptions, versions and minimum versions), and
#   MACHINE.mig   a migration stream of a paused (-S) guest of that machine type with QEMU's default devices and
#                 128 MiB of RAM (its RAM blocks with their sizes, its sections with instance ids and versions),
# then `qevm schema build-database` packs them, each distinct description stored once.
# Takes about 10 minutes on 2 cores (one QEMU at a time). Needs root for the chroots.
#   bash scripts/build-version-db.sh [VERSION...]      (default: 5.2 7.2 10.0 11.1)
# Environment: QEVM (the qevm binary, default the Release build), QEVM_QEMU10_ENV, QEVM_QEMU52_CHROOT,
# QEVM_QEMU111_CHROOT (as for the tests), WORK (raw files, default /tmp/qevm-version-db: under /tmp, which the
# chroots see), OUT (default the committed file).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
qevm="${QEVM:-$repo/src/Qevm.Cli/bin/Release/net10.0/qevm}"
work="${WORK:-/tmp/qevm-version-db}"
out="${OUT:-$repo/src/Qevm/Validation/Versions/qemu-versions.json.br}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/qevm"
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(5.2 7.2 10.0 11.1)
[ -x "$qevm" ] || { echo "no qevm at $qevm: dotnet build src/Qevm.Cli -c Release, or set QEVM" >&2; exit 2; }

# The command line that starts QEMU VERSION's system emulator for ARCH (x86_64, aarch64).
qemu_of() {
  local bin="qemu-system-$2"
  case "$1" in
    7.2) echo "$bin" ;;
    10.0)
      local env="${QEVM_QEMU10_ENV:-$cache/qemu10/env.sh}"
      # shellcheck disable=SC1090
      . "$env"
      echo "env QEMU_MODULE_DIR=$QEMU_MODULE_DIR $QEMU10_BIN/$bin $QEMU10_FIRMWARE_ARGS" ;;
    5.2) echo "bash $repo/scripts/qemu-in-chroot.sh ${QEVM_QEMU52_CHROOT:-$cache/chroot-bullseye} $bin" ;;
    11.1) echo "bash $repo/scripts/qemu-in-chroot.sh ${QEVM_QEMU111_CHROOT:-$cache/chroot-sid} $bin" ;;
    *) echo "unknown QEMU version $1 (5.2, 7.2, 10.0, 11.1)" >&2; return 2 ;;
  esac
}

# The machine types kept per architecture: x86 pc and q35, Arm virt (qemu-system-arm packages; skipped with a
# warning where that version's qemu-system-aarch64 is not installed).
pattern_x86_64='^pc-(i440fx|q35)-[0-9.]+$'
pattern_aarch64='^virt-[0-9.]+$'

archs="${ARCHS:-x86_64 aarch64}"  # ARCHS=aarch64 adds that architecture to an earlier collection
for v in "${versions[@]}"; do
  dir="$work/$v"
  [ "$archs" = "x86_64 aarch64" ] && rm -rf "$dir"
  mkdir -p "$dir"
  for arch in $archs; do
    qemu=$(qemu_of "$v" "$arch")
    if ! $qemu --version > "$dir/qemu-version-$arch.txt" 2>/dev/null; then
      echo "warning: QEMU $v: no qemu-system-$arch (install qemu-system-arm): its machine types are left out" >&2
      rm -f "$dir/qemu-version-$arch.txt"
      continue
    fi
    $qemu -machine help > "$dir/machine-help-$arch.txt"
    # The version's own words for a machine type it does not have (they differ between versions).
    $qemu -M qevm-no-such-machine -display none -nodefaults 2> "$dir/unsupported-machine.txt" >/dev/null || true
    pattern="pattern_$arch"
    machines=$(awk -v re="${!pattern}" '$1 ~ re { print $1 }' "$dir/machine-help-$arch.txt")
    n=0
    for m in $machines; do
      # -nodefaults -display none: 5.2's default VNC display fails without a resolvable localhost; -dump-vmstate
      # dumps every device type's description whatever the devices.
      $qemu -nodefaults -display none -M "$m" -dump-vmstate "$dir/$m.json"
      # HMP's migrate (without -d) returns when the migration completed, so quit follows a complete file. Section
      # footers on: machine types up to 2.2 have neither footers nor a trailer to delimit sections by (the footers
      # change neither the sections nor the RAM blocks).
      printf 'migrate "exec:cat > %s"\nquit\n' "$dir/$m.mig" |
        $qemu -M "$m" -m 128 -S -display none -monitor stdio -global migration.send-section-footer=on >/dev/null 2>"$dir/$m.log"
      [ -s "$dir/$m.mig" ] || { echo "QEMU $v $m: no stream ($(cat "$dir/$m.log"))" >&2; exit 1; }
      n=$((n + 1))
    done
    echo "QEMU $v $arch ($(head -n 1 "$dir/qemu-version-$arch.txt")): $n machine types" >&2
  done
done

"$qevm" schema build-database "$work" -o "$out"
ls -l "$out"
