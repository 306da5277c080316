#!/usr/bin/env bash
# The project's test command (README.md, .ci/run): installs what the tests need (QEMU 7.2 from Debian's
# packages when missing; QEMU 10.0 unpacked beside it), runs the whole suite, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v qemu-system-x86_64 >/dev/null 2>&1 || ! command -v qemu-img >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing QEMU (qemu-system-x86, qemu-utils)..."
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q qemu-system-x86 qemu-utils \
    || { echo "could not install QEMU"; echo "0 passed, 1 failed"; exit 1; }
fi
qemu-system-x86_64 --version | head -n 1

# QEMU 10.0.2 unpacked beside 7.2 (not installed) for the tests that load streams into QEMU 10 (scripts/get-qemu10.sh).
if qemu10_env="$(bash scripts/get-qemu10.sh)"; then
  export QEVM_QEMU10_ENV="$qemu10_env"
else
  echo "could not unpack QEMU 10 (the tests that need it will fail)"
fi

# QEMU 5.2 (bullseye) and 11.1 (sid) in minimal Debian chroots beside 7.2 and 10.0 (scripts/get-qemu-chroot.sh);
# the tests run them through scripts/qemu-in-chroot.sh.
for pair in bullseye:QEVM_QEMU52_CHROOT sid:QEVM_QEMU111_CHROOT; do
  if dir="$(bash scripts/get-qemu-chroot.sh "${pair%%:*}")"; then
    export "${pair#*:}=$dir"
  else
    echo "could not build the ${pair%%:*} chroot (the tests that need its QEMU will fail)"
  fi
done

# A Linux kernel for the test whose guest is in long mode (scripts/get-linux-kernel.sh).
if kernel="$(bash scripts/get-linux-kernel.sh)"; then
  export QEVM_LINUX_KERNEL="$kernel"
else
  echo "could not unpack a Linux kernel (the long-mode ELF test will fail)"
fi

# libvirt (the container tests run `virsh save` with libvirtd as root), the compressors they compare with, and
# zsh and fish, whose completion the tests load, and Chromium, which renders `qevm report` pages headless.
missing=""
for prog in qemu-system-aarch64:qemu-system-arm libvirtd:libvirt-daemon-system virsh:libvirt-clients zstd:zstd xz:xz-utils bzip2:bzip2 gzip:gzip zsh:zsh fish:fish chromium:chromium; do
  command -v "${prog%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${prog%%:*}" ] || missing="$missing ${prog#*:}"
done
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing$missing..."
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing \
    || echo "could not install$missing (the tests that need them will fail)"
fi

# QEMU 7.2's scripts/analyze-migration.py, for the tests that compare `dump --format analyze` and `extract`
# with it (fetched from Debian's QEMU source package, never committed).
analyze="$(bash scripts/fetch-analyze.sh)" || echo "could not fetch analyze-migration.py (the tests that need it will fail)"
export QEVM_ANALYZE_MIGRATION="$analyze"

# QEMU's scripts/vmstate-static-checker.py and its test data, which the schema diff tests compare with (fetched from
# the same source package by scripts/fetch-static-checker.sh, never committed).
checker="$(bash scripts/fetch-static-checker.sh)" || echo "could not fetch vmstate-static-checker.py (the schema diff tests will fail)"
export QEVM_STATIC_CHECKER="$checker/vmstate-static-checker.py" QEVM_STATIC_CHECKER_DATA="$checker/vmstate-static-checker-data"

# A bounded AFL++ fuzzing run of every target (fuzz/run.sh: 200 s shared among them, ~4 min with the build) counts as one more test.
if timeout 600 bash fuzz/run.sh --total "${QEVM_FUZZ_SECONDS:-200}"; then fuzz_passed=1; else fuzz_passed=0; fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
dotnet test Qevm.slnx -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?

# The native binary (NativeAOT) must publish without trimming or AOT warnings and run: one more test.
echo "publishing the NativeAOT binary..."
aot="$results/aot"
if dotnet publish src/Qevm.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$aot" > "$results/aot.log" 2>&1 \
   && ! grep -qE 'warning (IL[0-9]|AOT)' "$results/aot.log" \
   && "$aot/qevm" check tests/fixtures/x86-pc/full.mig; then
  aot_passed=1
else
  aot_passed=0
  tail -n 20 "$results/aot.log"
fi

trx="$(find "$results" -name '*.trx' | head -n 1)"
if [ -z "$trx" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
passed="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
failed="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
total="$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")"
executed="$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")"
# Tests that did not run count as failed: nothing is skipped silently.
failed=$(( ${failed:-0} + ${total:-0} - ${executed:-0} ))
passed=$(( ${passed:-0} + aot_passed + fuzz_passed ))
failed=$(( failed + 2 - aot_passed - fuzz_passed ))
echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
