//! The generated C driver: two translation units linked into one program.
//!
//! * `function.c`: a short prelude of standard headers, the function's source verbatim (under a
//!   `#line` directive so compiler messages point into it), a compile-time check that the function
//!   has the declared signature, and `compnet_drv_eval`, which calls the function on a block of
//!   pairs (`f64` in, converted to each parameter's type: a cast for `float`/`double`, rounding to
//!   the nearest integer with `lrint` for the integer types; every output, integer or not, is written as
//!   `f64`). A function with out-pointers is called twice per pair, its out-pointers first on
//!   zeroed locals, then on locals holding other values: if any output differs, the function
//!   read an out-pointer before writing it (an input array walked by pointer, say) or did not
//!   write it, and the program exits with [`OUT_POINTER_MISUSE_EXIT`].
//! * `driver.c`: `main`, in its own translation unit so that the function's macros and helpers
//!   cannot clash with it. It moves the binary streams to private descriptors (the function's own
//!   `printf`s go to stderr, its reads of stdin see `/dev/null`), reads `n_in` native-endian `f64`
//!   per pair from stdin until end of file and writes `n_out` `f64` per pair to stdout.

use crate::signature::{ParamRole, Scalar, Signature};

/// The driver's exit status when a function's outputs depend on its out-pointers' initial values.
pub(crate) const OUT_POINTER_MISUSE_EXIT: i32 = 6;

/// Pairs per block the driver reads, evaluates and writes at once.
const BLOCK_PAIRS: usize = 4096;

/// The source of `function.c`: the function's source and the evaluation glue.
pub(crate) fn function_unit(source: &str, sig: &Signature, file_name: &str) -> String {
    let f = &sig.function;
    let (n_in, n_out) = (sig.n_in(), sig.n_out());
    let ret_ty = sig.ret.map_or("void", Scalar::c_name);
    let param_tys: Vec<String> = sig
        .params
        .iter()
        .map(|p| match p.role {
            ParamRole::Input => p.ty.c_name().to_string(),
            ParamRole::Output => format!("{} *", p.ty.c_name()),
        })
        .collect();
    let proto = if param_tys.is_empty() { "void".to_string() } else { param_tys.join(", ") };
    let mut locals = String::new();
    let mut refills = String::new();
    let mut args = Vec::new();
    let mut stores = String::new();
    let mut restores = String::new();
    let (mut i_in, mut i_out) = (0usize, usize::from(sig.ret.is_some()));
    for (k, p) in sig.params.iter().enumerate() {
        let ty = p.ty.c_name();
        match p.role {
            ParamRole::Input => {
                args.push(match p.ty {
                    Scalar::Float | Scalar::Double => format!("({ty})compnet_drv_x[{i_in}]"),
                    Scalar::Int | Scalar::Long | Scalar::UInt | Scalar::ULong => {
                        format!("({ty})lrint(compnet_drv_x[{i_in}])")
                    }
                });
                i_in += 1;
            }
            ParamRole::Output => {
                locals.push_str(&format!("        {ty} compnet_drv_o{k} = 0;\n"));
                // Values no zero-initialised variable holds, different per out-pointer.
                refills.push_str(&format!("        compnet_drv_o{k} = ({ty})({}.375);\n", 3 + 2 * k));
                args.push(format!("&compnet_drv_o{k}"));
                stores.push_str(&format!("        compnet_drv_y[{i_out}] = (double)compnet_drv_o{k};\n"));
                restores.push_str(&format!("        compnet_drv_z[{i_out}] = (double)compnet_drv_o{k};\n"));
                i_out += 1;
            }
        }
    }
    let call = format!("{f}({})", args.join(", "));
    let call_into = |y: &str| match sig.ret {
        Some(_) => format!("{y}[0] = (double){call};"),
        None => format!("{call};"),
    };
    let first = call_into("compnet_drv_y");
    // The second call, with other initial values in the out-pointers, and the comparison.
    let check = if refills.is_empty() {
        String::new()
    } else {
        format!(
            "        double compnet_drv_z[{n_out}];\n{refills}        {}\n{restores}        \
             if (memcmp(compnet_drv_y, compnet_drv_z, sizeof compnet_drv_z) != 0) _Exit({OUT_POINTER_MISUSE_EXIT});\n",
            call_into("compnet_drv_z")
        )
    };
    let sig_text = sig.to_string();
    format!(
        r#"#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdint.h>
#include <float.h>
#include <limits.h>
#line 1 "{file_name}"
{source}
#line 1 "compnet-harness-glue.c"
#if defined(__GNUC__) || defined(__clang__)
_Static_assert(__builtin_types_compatible_p(__typeof__(&{f}), {ret_ty} (*)({proto})),
               "compnet harness: function `{f}` is not `{sig_text}`");
#endif
void compnet_drv_eval(const double *compnet_drv_in, double *compnet_drv_out, unsigned long compnet_drv_n);
void compnet_drv_eval(const double *compnet_drv_in, double *compnet_drv_out, unsigned long compnet_drv_n) {{
    for (unsigned long compnet_drv_i = 0; compnet_drv_i < compnet_drv_n; compnet_drv_i++) {{
        const double *compnet_drv_x = compnet_drv_in + compnet_drv_i * {n_in_u}UL;
        double *compnet_drv_y = compnet_drv_out + compnet_drv_i * {n_out}UL;
        (void)compnet_drv_x;
{locals}        {first}
{stores}{check}    }}
}}
"#,
        n_in_u = n_in.max(1),
    )
}

/// The source of `driver.c`: `main` and the binary protocol.
pub(crate) fn main_unit(sig: &Signature) -> String {
    let (n_in, n_out) = (sig.n_in(), sig.n_out());
    format!(
        r#"#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

enum {{ N_IN = {n_in}, N_OUT = {n_out}, BLOCK = {BLOCK_PAIRS} }};
void compnet_drv_eval(const double *in, double *out, unsigned long n);
static double in_buf[BLOCK * N_IN];
static double out_buf[BLOCK * N_OUT];

/* Reads up to n bytes; fewer only at end of file. Returns -1 on error. */
static long read_full(int fd, char *buf, long n) {{
    long got = 0;
    while (got < n) {{
        long r = read(fd, buf + got, (size_t)(n - got));
        if (r == 0) break;
        if (r < 0) {{ if (errno == EINTR) continue; return -1; }}
        got += r;
    }}
    return got;
}}

static int write_full(int fd, const char *buf, long n) {{
    while (n > 0) {{
        long w = write(fd, buf, (size_t)n);
        if (w < 0) {{ if (errno == EINTR) continue; return -1; }}
        buf += w; n -= w;
    }}
    return 0;
}}

int main(int argc, char **argv) {{
    /* argv[1]: the descriptor the harness executed this program from. */
    if (argc > 1) close(atoi(argv[1]));
    int in = fcntl(0, F_DUPFD_CLOEXEC, 3), out = fcntl(1, F_DUPFD_CLOEXEC, 3);
    int null = open("/dev/null", O_RDONLY);
    if (in < 0 || out < 0 || null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0) return 2;
    close(null);
    for (;;) {{
        long want = (long)sizeof in_buf;
        long got = read_full(in, (char *)in_buf, want);
        if (got < 0) return 3;
        if (got % (long)(N_IN * sizeof(double)) != 0) return 4;
        unsigned long pairs = (unsigned long)got / (N_IN * sizeof(double));
        if (pairs > 0) {{
            compnet_drv_eval(in_buf, out_buf, pairs);
            if (write_full(out, (const char *)out_buf, (long)(pairs * N_OUT * sizeof(double))) != 0) return 5;
        }}
        if (got < want) return 0;
    }}
}}
"#
    )
}
