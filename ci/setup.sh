#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: the C compiler (harness), pkg-config (C ABI),
# the bare-metal Rust target (no_std build of the runtime), a nightly toolchain with Miri (the
# runtime core's tests under Miri), Python's pyarrow (independent Parquet reader), onnx and
# onnxruntime (independent ONNX checks).
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else "$@"; fi; }
apt_install() {
  if have apt-get; then
    as_root apt-get update -qq >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "ci/setup.sh: please install: $*" >&2
    return 1
  fi
}

have cc || apt_install gcc libc6-dev
have python3 || apt_install python3 python3-pip
have pkg-config || apt_install pkg-config

if ! rustup target list --installed 2>/dev/null | grep -q '^thumbv7em-none-eabihf$'; then
  rustup target add thumbv7em-none-eabihf
fi

if ! rustup run nightly cargo miri --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal --component miri,rust-src
fi

py_need=()
python3 -c 'import pyarrow' 2>/dev/null || py_need+=(pyarrow)
python3 -c 'import onnx' 2>/dev/null || py_need+=(onnx)
python3 -c 'import onnxruntime' 2>/dev/null || py_need+=(onnxruntime)
if [ ${#py_need[@]} -gt 0 ]; then
  python3 -m pip install --quiet --disable-pip-version-check "${py_need[@]}"
fi
