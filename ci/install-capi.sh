#!/usr/bin/env bash
# Builds the compnet C library (release) and installs it under PREFIX:
#   PREFIX/lib/libcompnet.a, PREFIX/lib/libcompnet.so, PREFIX/include/compnet.h,
#   PREFIX/lib/pkgconfig/compnet.pc         (links libcompnet.so where both libraries are found)
#   PREFIX/lib/pkgconfig/compnet-static.pc  (links libcompnet.a and what it needs from the system)
# Then, for example (docs/c-abi.md):
#   export PKG_CONFIG_PATH=PREFIX/lib/pkgconfig
#   cc app.c $(pkg-config --cflags --libs compnet)          # shared: run with PREFIX/lib on the loader's path
#   cc app.c $(pkg-config --cflags --libs compnet-static)   # static: a self-contained executable
# Honours CARGO_TARGET_DIR and CARGO (the cargo to run). Usage: ci/install-capi.sh PREFIX
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
cargo=${CARGO:-cargo}
cd "$root"

# One release build of all crate types; rustc's note names the system libraries that the static
# library needs (they go to Libs.private, for `pkg-config --static`). Cargo replays the note when
# the build is already up to date.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$cargo" rustc --locked --release -p compnet-capi --lib -- --print native-static-libs >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-capi.sh: building compnet-capi failed" >&2
  exit 1
fi
libs_private=$(sed -n 's/^note: native-static-libs: //p' "$log" | tail -n 1)
if [ -z "$libs_private" ]; then
  cat "$log" >&2
  echo "install-capi.sh: rustc did not print the static library's native dependencies" >&2
  exit 1
fi

target_dir=$("$cargo" metadata --format-version 1 --no-deps --locked |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
version=$("$cargo" pkgid -p compnet-capi | sed 's/.*[#@]//')
release="$target_dir/release"

install -d "$prefix/lib/pkgconfig" "$prefix/include"
install -m 644 "$release/libcompnet.a" "$prefix/lib/libcompnet.a"
install -m 755 "$release/libcompnet.so" "$prefix/lib/libcompnet.so"
install -m 644 edge-runtime/capi/include/compnet.h "$prefix/include/compnet.h"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" -e "s|@LIBS_PRIVATE@|$libs_private|" \
  edge-runtime/capi/compnet.pc.in >"$prefix/lib/pkgconfig/compnet.pc"
# The same with the archive named by path, so that the linker cannot pick the shared library.
sed -e 's|^Name: compnet$|Name: compnet-static|' -e "s|^Libs: .*|Libs: \${libdir}/libcompnet.a $libs_private|" \
  -e '/^Libs.private:/d' "$prefix/lib/pkgconfig/compnet.pc" >"$prefix/lib/pkgconfig/compnet-static.pc"
echo "installed compnet $version under $prefix (pkg-config: PKG_CONFIG_PATH=$prefix/lib/pkgconfig)"
