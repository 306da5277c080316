#!/usr/bin/env bash
# Release artifacts into OUT (default artifacts/, ignored by git): the library package Qevm and the .NET tool
# package Qevm.Cli (with their symbol packages), the NativeAOT binary as a tarball, and the man page qevm.1
# made from the command definitions.
# Usage: bash scripts/pack.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mkdir -p "${1:-artifacts}" && cd "${1:-artifacts}" && pwd)"
configuration="${QEVM_PACK_CONFIGURATION:-Release}"
dotnet pack src/Qevm -c "$configuration" -o "$out"
dotnet pack src/Qevm.Cli -c "$configuration" -o "$out"
if [ "${QEVM_PACK_NATIVE:-1}" = 1 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  dotnet publish src/Qevm.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$work/qevm" > "$work/publish.log" || { tail -n 20 "$work/publish.log"; exit 1; }
  version="$("$work/qevm/qevm" --version | cut -d+ -f1)"
  "$work/qevm/qevm" man > "$out/qevm.1"
  mkdir -p "$work/tar/qevm-$version-linux-x64"
  cp "$work/qevm/qevm" "$out/qevm.1" README.md "$work/tar/qevm-$version-linux-x64/"
  tar -C "$work/tar" -czf "$out/qevm-$version-linux-x64.tar.gz" "qevm-$version-linux-x64"
fi
ls -l "$out"
