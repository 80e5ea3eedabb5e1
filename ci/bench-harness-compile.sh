#!/usr/bin/env bash
# Measures what compiling each shape's driver once saves per function (docs/harness.md): N times
# each, a harness built from both translation units (the old way) and from the function's unit
# and an already compiled driver object (the harness now), with the harness's flags.
#   ci/bench-harness-compile.sh [N]      (default 20; run on an otherwise idle machine)
set -euo pipefail
n=${1:-20}
cc=${CC:-cc}
flags=(-O2 -std=gnu11 -ffp-contract=off)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
cat > function.c <<'C'
#include <math.h>
static double sq(double v) { return v * v; }
double compnet_fn(double x, double y) { return sqrt(sq(x) + sq(y)) * cos(x - y); }
void compnet_drv_eval(const double *in, double *out, unsigned long n) {
  for (unsigned long i = 0; i < n; i++) out[i] = compnet_fn(in[2 * i], in[2 * i + 1]);
}
C
cat > driver.c <<'C'
#include <stdio.h>
#include <stdlib.h>
void compnet_drv_eval(const double *in, double *out, unsigned long n);
int main(void) {
  static double in[2048], out[1024];
  size_t got = fread(in, sizeof(double), 2048, stdin);
  compnet_drv_eval(in, out, got / 2);
  fwrite(out, sizeof(double), got / 2, stdout);
  return 0;
}
C
"$cc" "${flags[@]}" -c driver.c -o driver.o
time_it() { local s e; s=$(date +%s.%N); for _ in $(seq "$n"); do "$@"; done; e=$(date +%s.%N); python3 -c "print(f'{($e - $s) / $n * 1000:.0f} ms')"; }
echo "both units:        $(time_it "$cc" "${flags[@]}" -o d1 function.c driver.c -lm)"
echo "unit + driver.o:   $(time_it "$cc" "${flags[@]}" -o d2 function.c driver.o -lm)"
