//! `compnet-firmware-host rust BLOB OUT.rs` writes the runtime's compile-time module of a `.cpn`
//! blob (`Surrogate::to_rust_module`, what `compnet export --rust` writes);
//! `compnet-firmware-host c BLOB OUT.h` writes the blob's weights as C arrays for the hand-written
//! C reference loop (`c/sobel_ref.c`). Both are committed; `ci/firmware-test.sh` checks for drift.

use std::fmt::Write as _;
use std::process::ExitCode;

use compnet_runtime::{Activation, Surrogate};

fn c_header(s: &Surrogate, blob: &str) -> String {
    let list = |v: &[f32]| v.iter().map(|x| format!("{x:?}f")).collect::<Vec<_>>().join(", ");
    let mut h = String::new();
    let _ = writeln!(h, "/* Weights of surrogate `{}` for the hand-written C reference loop.", s.meta.name);
    let _ = writeln!(h, " * Generated from {blob} by `compnet-firmware-host c`; do not edit. */");
    let _ = writeln!(h, "#define REF_N_IN {}\n#define REF_N_OUT {}", s.n_in(), s.n_out());
    let _ = writeln!(h, "static const float REF_IN_SCALE[{}] = {{{}}};", s.n_in(), list(&s.input_norm.scale));
    let _ = writeln!(h, "static const float REF_IN_OFFSET[{}] = {{{}}};", s.n_in(), list(&s.input_norm.offset));
    let _ = writeln!(h, "static const float REF_OUT_SCALE[{}] = {{{}}};", s.n_out(), list(&s.output_norm.scale));
    let _ = writeln!(h, "static const float REF_OUT_OFFSET[{}] = {{{}}};", s.n_out(), list(&s.output_norm.offset));
    for (k, l) in s.layers.iter().enumerate() {
        let act = match l.activation {
            Activation::Identity => 0,
            Activation::Sigmoid => 1,
            Activation::Tanh => 2,
            Activation::Relu => 3,
        };
        let rows = l.weights.chunks(l.n_in).map(|r| format!("{{{}}}", list(r))).collect::<Vec<_>>().join(",\n    ");
        let _ =
            writeln!(h, "#define REF_L{k}_IN {}\n#define REF_L{k}_OUT {}\n#define REF_L{k}_ACT {act}", l.n_in, l.n_out);
        let _ = writeln!(h, "static const float REF_W{k}[{}][{}] = {{\n    {rows}\n}};", l.n_out, l.n_in);
        let _ = writeln!(h, "static const float REF_B{k}[{}] = {{{}}};", l.n_out, list(&l.biases));
    }
    h
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [what, blob, out] = args.as_slice() else {
        eprintln!("usage: compnet-firmware-host rust|c BLOB.cpn OUT");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(blob) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {blob}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let s = match Surrogate::from_blob(&bytes) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{blob}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = match what.as_str() {
        "rust" => s.to_rust_module(),
        "c" => c_header(&s, blob),
        other => {
            eprintln!("unknown output kind {other:?}: expected rust or c");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::write(out, text) {
        eprintln!("cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
