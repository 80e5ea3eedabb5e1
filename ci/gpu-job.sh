#!/usr/bin/env bash
# Runs ON the GPU machine, from the repository root: ci/gpu-job.sh <compnet arguments...>
# Unpacks .gpu/compnet.xz (from ci/gpu-build.sh), turns on cubecl's kernel cache, restores it from
# .gpu/cubecl-cache/ if present, runs compnet, and always (failure and timeout included) copies
# the cache to $OUT/cubecl-cache/ so that the next run starts warm.
set -euo pipefail
: "${OUT:?set OUT to the folder whose contents come back}"
cache="$HOME/.cache/cubecl"

save_cache() {
  mkdir -p "$OUT/cubecl-cache"
  cp -a "$cache"/. "$OUT/cubecl-cache/" 2>/dev/null || true
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

mkdir -p "$cache"
if [ -d .gpu/cubecl-cache ]; then
  cp -a .gpu/cubecl-cache/. "$cache/"
fi
# The cache packed (`tar cJf .gpu/cubecl-cache.txz -C .gpu/cubecl-cache .`): 19 MiB of kernels
# are 0.8 MiB packed, which keeps the carried tree under the 64 MiB a call takes.
if [ -f .gpu/cubecl-cache.txz ]; then
  tar xJf .gpu/cubecl-cache.txz -C "$cache"
fi

nvidia-smi -L
"$bin" "$@"
