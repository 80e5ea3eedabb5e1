#!/usr/bin/env bash
# Builds every firmware of firmware-examples/ (thumbv7em-none-eabihf) and runs each under QEMU
# (mps2-an386, a Cortex-M4F) with a timeout: the on-device accuracy checks of sobel, fft and kmeans
# must pass; a separately flashed blob must pass when good and be refused, with its message, when
# corrupt, mismatched or missing; the bench must count instructions; the C firmware (when the
# runtime's C ABI crate exists) must pass. Ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ci/firmware-setup.sh || exit 1

fw=firmware-examples
elf_dir=$fw/target/thumbv7em-none-eabihf/release
qemu=(qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none
      -semihosting-config enable=on,target=native)
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; }

# run NAME WANT_RC WANT_TEXT QEMU_ARGS...: runs QEMU with a timeout, checks exit status and output.
run() {
  local name=$1 want_rc=$2 want_text=$3
  shift 3
  local out=$tmp/$name.out rc
  timeout 120 "${qemu[@]}" "$@" >"$out" 2>&1
  rc=$?
  sed 's/^/     | /' "$out"
  if [ "$rc" = 124 ]; then
    bad "$name: timed out"
  elif [ "$rc" != "$want_rc" ]; then
    bad "$name: exit status $rc, expected $want_rc"
  elif ! grep -qF -- "$want_text" "$out"; then
    bad "$name: output lacks \"$want_text\""
  else
    ok "$name (exit $rc)"
  fi
}

echo "==> build firmware (release: opt-level s, LTO)"
if ! (cd $fw && cargo build --release --locked --bins); then
  bad "firmware build"
  echo "$passed passed, $failed failed"
  exit 1
fi

echo "==> generated sources have not drifted from the blobs"
host=$(rustc -vV | sed -n 's/^host: //p')
if (cd $fw/host && cargo build --release --locked -q --target "$host"); then
  gen=host/target/$host/release/compnet-firmware-host
  (cd $fw && $gen rust blobs/sobel.cpn "$tmp/sobel_fixed.rs" && $gen c blobs/sobel.cpn "$tmp/sobel_weights.h")
  if cmp -s "$tmp/sobel_fixed.rs" $fw/src/generated/sobel_fixed.rs && cmp -s "$tmp/sobel_weights.h" $fw/c/sobel_weights.h; then
    ok "generated sobel_fixed.rs and sobel_weights.h match blobs/sobel.cpn"
  else
    bad "generated sources differ from blobs/sobel.cpn: regenerate (firmware-examples/README.md)"
  fi
else
  bad "host generator build"
fi

echo "==> on-device accuracy checks (surrogate blob embedded in the firmware)"
for p in sobel fft kmeans; do
  run "$p" 0 "PASS: $p" -kernel $elf_dir/$p
done

echo "==> surrogate flashed separately (-device loader at 0x80000)"
blob_arg() { echo "loader,file=$1,addr=0x00080000,force-raw=on"; }
run flashed-good 0 "PASS: sobel" -kernel $elf_dir/flashed -device "$(blob_arg $fw/blobs/sobel.cpn)"
# One flipped bit in the first weight of the good blob.
python3 - "$fw/blobs/sobel.cpn" "$tmp/sobel-corrupt.cpn" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x10
open(sys.argv[2], "wb").write(b)
PY
run flashed-corrupt 1 "CRC mismatch" -kernel $elf_dir/flashed -device "$(blob_arg "$tmp/sobel-corrupt.cpn")"
run flashed-mismatched 1 "mismatched blob, refused" -kernel $elf_dir/flashed -device "$(blob_arg $fw/blobs/kmeans.cpn)"
run flashed-missing 1 "no blob in the flash region" -kernel $elf_dir/flashed

echo "==> instructions per inference (-icount shift=0)"
run bench 0 "BENCH rust-blob" -icount shift=0 -kernel $elf_dir/bench

echo "==> deployment-size firmware"
run sobel-deploy 0 "sobel surrogate:" -kernel $elf_dir/sobel-deploy

echo "==> C firmware (C main + the runtime's static library through compnet.h)"
if [ -f edge-runtime/capi/include/compnet.h ]; then
  if make -s -C $fw/c-firmware; then
    run c-firmware 0 "PASS: sobel (C firmware)" -kernel $fw/c-firmware/build/sobel-c.elf
  else
    bad "C firmware build"
  fi
else
  echo "skipped: edge-runtime/capi/include/compnet.h (the C ABI) is not in this checkout"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
