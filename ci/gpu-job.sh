#!/usr/bin/env bash
# Runs ON the GPU machine, from the repository root: ci/gpu-job.sh <compnet arguments...>
# Unpacks .gpu/compnet.xz (from ci/gpu-build.sh), turns on cubecl's kernel cache, restores it from
# .gpu/cubecl-cache/ if present, runs compnet, and always (failure and timeout included) copies
# the cache to $OUT/cubecl-cache/ so that the next run starts warm.
set -euo pipefail
: "${OUT:?set OUT to the folder whose contents come back}"
cache="$HOME/.cache/cubecl"

# The cache belongs to the binary that compiled it: cubecl's kernel keys hold the binary's build
# id (cubecl-server's `build_id_hash`). With a cache from another build, every kernel misses its key
# and cubecl-cuda 0.11.3 finds it by its source instead, then moves the entry to the new key; when a process running side by side had written that key first, the move is refused and
# cubecl's device thread panics ("Should be cached now", context.rs:347). That happened on
# 2026-12-05 to one of six `ci/gpu-eval.sh` parts, which then reported garbage. So the cache
# carries the binary's hash (build.txt) and is restored only for the same binary; compnet itself
# now stops on such a panic (exit status 70).
build=$(sha256sum .gpu/compnet.xz | cut -c1-16)
save_cache() {
  mkdir -p "$OUT/cubecl-cache"
  cp -a "$cache"/. "$OUT/cubecl-cache/" 2>/dev/null || true
  echo "$build" > "$OUT/cubecl-cache/build.txt"
}
trap save_cache EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

bin=$(mktemp -d)/compnet
xz -dc .gpu/compnet.xz > "$bin"
chmod +x "$bin"

# cubecl reads cubecl.toml from the working directory; `cache = true` needs the persistence feature.
# cubecl 0.11 keeps the cache in its "environment", by default under the outermost Cargo.toml's
# target/environment/ (here: the checkout, which nothing brings back); `path = "global"` puts it in
# ~/.cache/cubecl/, the folder saved below (checked by parsing this file with cubecl-runtime 0.11.3).
printf '[compilation]\ncache = true\n\n[environment]\npath = "global"\n' > cubecl.toml

# Carried as .gpu/cubecl-cache/ or packed (`tar cJf .gpu/cubecl-cache.txz -C .gpu/cubecl-cache .`:
# 19 MiB of kernels are 0.8 MiB packed, which keeps the carried tree under the 64 MiB a call takes).
mkdir -p "$cache"
carried=$(mktemp -d)
if [ -d .gpu/cubecl-cache ]; then
  cp -a .gpu/cubecl-cache/. "$carried/"
fi
if [ -f .gpu/cubecl-cache.txz ]; then
  tar xJf .gpu/cubecl-cache.txz -C "$carried"
fi
if [ -n "$(ls -A "$carried")" ]; then
  if [ "$(cat "$carried/build.txt" 2>/dev/null)" = "$build" ]; then
    cp -a "$carried"/. "$cache/"
  else
    echo "gpu-job: the carried kernel cache is from another build of compnet; starting without it" >&2
  fi
fi

nvidia-smi -L
"$bin" "$@"
