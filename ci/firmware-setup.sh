#!/usr/bin/env bash
# Installs what the firmware examples need when it is missing: QEMU for Arm (mps2-an386, a
# Cortex-M4F board), the Arm bare-metal GCC and newlib (C originals, C firmware, hard-float libm),
# the Rust target thumbv7em-none-eabihf, and pyarrow (test-set generator, only when regenerating).
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else "$@"; fi; }

need=()
have qemu-system-arm || need+=(qemu-system-arm)
have arm-none-eabi-gcc || need+=(gcc-arm-none-eabi)
# newlib's hard-float libm for the Cortex-M4F multilib (sqrt, sin, cos of the C originals).
[ -e /usr/lib/arm-none-eabi/newlib/thumb/v7e-m+fp/hard/libm.a ] || need+=(libnewlib-arm-none-eabi)
if [ ${#need[@]} -gt 0 ]; then
  if ! have apt-get; then
    echo "ci/firmware-setup.sh: please install: ${need[*]}" >&2
    exit 1
  fi
  echo "ci/firmware-setup.sh: installing ${need[*]}"
  as_root apt-get update -qq >/dev/null 2>&1 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! qemu-system-arm -M help | grep -q '^mps2-an386 '; then
  echo "ci/firmware-setup.sh: this qemu-system-arm has no mps2-an386 machine (Cortex-M4F); QEMU >= 6.0 needed" >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -q '^thumbv7em-none-eabihf$'; then
  rustup target add thumbv7em-none-eabihf
fi
