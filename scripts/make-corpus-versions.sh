#!/usr/bin/env bash
# Writes real QEMU 5.2 and 11.1 files (the QEMUs of scripts/get-qemu-chroot.sh) into OUTDIR, one folder per case:
#   make-corpus-versions.sh OUTDIR [5.2] [11.1]        (both when no version is given)
# OUTDIR/qemu-V/
#   x86-pc/       full.mig (a running pc-i440fx-V guest, migrated live), device.state (xen-save-devices-state just
#                 before), schema.json (-dump-vmstate of the same machine)
#   x86-q35/      the same for a pc-q35-V guest stopped after its firmware ran
#   x86-devices/  full.mig of a pc-i440fx-V guest with virtio-net, e1000, qemu-xhci + usb-tablet, virtio-rng and
#                 virtio-balloon (a -netdev user per NIC), stopped after its firmware ran
#   x86-savevm/   disk.qcow2 holding the internal snapshot "snap1" (HMP savevm; qemu-img of the same chroot)
#   each folder:  notes.txt (QEMU version, command line, steps)
# Guests have 32 MiB and two CPUs. Needs root (chroot) and python3 (a small QMP client, below). The test suite makes
# the same files itself (tests/Qevm.Tests/Interop/Versions); this script is for users who want them on disk.
set -euo pipefail

out="${1:?usage: make-corpus-versions.sh OUTDIR [5.2] [11.1]}"
shift
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(5.2 11.1)
here="$(cd "$(dirname "$0")" && pwd)"
command -v python3 >/dev/null || { echo "make-corpus-versions: python3 is needed" >&2; exit 2; }

# QEMU through QMP: start it in the chroot, run STEPS (JSON list of [command, arguments]) in order, quit.
# "sleep" waits, "migrate" also waits for completion, "hmp" runs a human monitor command and fails on any output.
qmp_run() {
  local chroot="$1" steps="$2"
  shift 2
  python3 - "$here/qemu-in-chroot.sh" "$chroot" "$steps" "$@" <<'PY'
import json, os, socket, subprocess, sys, tempfile, time
script, chroot, steps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
tmp = tempfile.mkdtemp(prefix="qevm-corpus-", dir="/tmp")
sock_path = os.path.join(tmp, "qmp.sock")
argv = ["bash", script, chroot, "qemu-system-x86_64", "-display", "none", "-nodefaults", "-accel", "tcg",
        "-qmp", f"unix:{sock_path},server=on,wait=off", *sys.argv[4:]]
proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
for _ in range(200):
    if os.path.exists(sock_path): break
    if proc.poll() is not None: sys.exit("QEMU exited: " + proc.stdout.read().decode())
    time.sleep(0.05)
s = socket.socket(socket.AF_UNIX); s.connect(sock_path); f = s.makefile("rw")
def call(cmd, args=None):
    f.write(json.dumps({"execute": cmd, **({"arguments": args} if args else {})}) + "\n"); f.flush()
    while True:
        m = json.loads(f.readline())
        if "event" in m: continue
        if "error" in m: sys.exit(f"{cmd}: {m['error']['desc']}")
        return m.get("return")
json.loads(f.readline()); call("qmp_capabilities")
for cmd, args in steps:
    if cmd == "sleep": time.sleep(args); continue
    if cmd == "hmp":
        said = call("human-monitor-command", {"command-line": args})
        if said.strip(): sys.exit(f"{args}: {said}")
        continue
    call(cmd, args)
    if cmd == "migrate":
        while (st := call("query-migrate").get("status")) not in ("completed", "failed", "cancelled"): time.sleep(0.05)
        if st != "completed": sys.exit("migration " + st)
try: call("quit")
except Exception: pass
proc.wait(10)
PY
}

devices=(-device virtio-net-pci,netdev=n0 -netdev user,id=n0 -device e1000,netdev=n1 -netdev user,id=n1
         -device qemu-xhci,id=xhci -device usb-tablet,bus=xhci.0 -device virtio-rng-pci -device virtio-balloon-pci)

for v in "${versions[@]}"; do
  case "$v" in
    5.2) suite=bullseye ;;
    11.1) suite=sid ;;
    *) echo "make-corpus-versions: unknown version $v (5.2 or 11.1)" >&2; exit 2 ;;
  esac
  chroot="$(bash "$here/get-qemu-chroot.sh" "$suite")"
  qemu_version="$(bash "$here/qemu-in-chroot.sh" "$chroot" qemu-system-x86_64 --version | head -n 1)"
  # QEMU writes under /tmp, which the chroot shares; the files are then moved into OUTDIR.
  work="$(mktemp -d /tmp/qevm-corpus-versions.XXXXXX)"
  trap 'rm -rf "$work"' EXIT

  make_case() { # CASE RUNNING(yes|no) DEVICE_STATE(yes|no) QEMU-ARGS...
    local name="$1" running="$2" devstate="$3"
    shift 3
    local dir="$work/$name" steps
    mkdir -p "$dir"
    steps='[["sleep", 0.7]'
    [ "$running" = yes ] || steps+=', ["stop", null]'
    [ "$devstate" = yes ] && steps+=", [\"xen-save-devices-state\", {\"filename\": \"$dir/device.state\", \"live\": false}]"
    steps+=", [\"migrate\", {\"uri\": \"exec:cat > '$dir/full.mig'\"}]]"
    qmp_run "$chroot" "$steps" "$@" -m 32 -smp 2
    bash "$here/qemu-in-chroot.sh" "$chroot" qemu-system-x86_64 -nodefaults -display none "${@:1:2}" -dump-vmstate "$dir/schema.json"
    printf '%s\ncommand line: qemu-system-x86_64 -display none -nodefaults -accel tcg %s -m 32 -smp 2\nsteps: %s\n' \
      "$qemu_version" "$*" "$steps" > "$dir/notes.txt"
  }

  make_case x86-pc yes yes -M "pc-i440fx-$v"
  make_case x86-q35 no yes -M "pc-q35-$v"
  make_case x86-devices no no -M "pc-i440fx-$v" "${devices[@]}"

  dir="$work/x86-savevm"
  mkdir -p "$dir"
  bash "$here/qemu-in-chroot.sh" "$chroot" qemu-img create -q -f qcow2 "$dir/disk.qcow2" 16M
  qmp_run "$chroot" '[["sleep", 0.7], ["stop", null], ["hmp", "savevm snap1"]]' \
    -M "pc-i440fx-$v" -m 32 -smp 2 -drive "file=$dir/disk.qcow2,if=ide,format=qcow2"
  printf '%s\ncommand line: qemu-system-x86_64 -display none -nodefaults -accel tcg -M pc-i440fx-%s -m 32 -smp 2 -drive file=disk.qcow2,if=ide,format=qcow2\nsteps: stop, HMP savevm snap1\n%s\n' \
    "$qemu_version" "$v" "$(bash "$here/qemu-in-chroot.sh" "$chroot" qemu-img snapshot -l "$dir/disk.qcow2")" > "$dir/notes.txt"

  mkdir -p "$out/qemu-$v"
  for c in "$work"/*/; do
    rm -rf "$out/qemu-$v/$(basename "$c")"
    mv "$c" "$out/qemu-$v/"
  done
  rm -rf "$work"
  trap - EXIT
  echo "$out/qemu-$v: $qemu_version"
done
