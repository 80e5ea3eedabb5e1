#!/usr/bin/env bash
# Builds the CUDA release `compnet` for the GPU machine and packs it as .gpu/compnet.xz
# (see /work/shared/GPU.md). Slow (~20 min on 2 cores): run it in the background, not in CI.
# Kernels are compiled by NVRTC on the GPU machine; cubecl-llvm is replaced by the offline stand-in
# host-trainer/gpu/cubecl-llvm-offline (root Cargo.toml, [patch.crates-io]).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
# No nvcc here to ask: CUDA 13.0 API, which driver 580 on the GPU machine provides.
export CUDARC_CUDA_VERSION=13000
# CARGO_TARGET_DIR=target-cuda keeps this build apart from the CPU one (both are ~20 min from cold).
target=${CARGO_TARGET_DIR:-target}
cargo build --locked --release -p compnet-trainer --features cuda
mkdir -p .gpu
cp "$target/release/compnet" .gpu/compnet
strip .gpu/compnet
xz -9 -T2 -c .gpu/compnet > .gpu/compnet.xz.tmp
mv .gpu/compnet.xz.tmp .gpu/compnet.xz
ls -l "$target/release/compnet" .gpu/compnet .gpu/compnet.xz
echo "built in $(( $(date +%s) - start )) s; on the GPU machine: ci/gpu-job.sh <compnet args>"
