//! Compiles the ParrotBench C originals used by the engine benchmarks (`benches/engines.rs`) as a
//! tiny static library, with the same flags as the harness, so the benchmark calls the real
//! function through FFI.

fn main() {
    let programs = ["sobel", "kmeans", "fft"];
    let mut build = cc::Build::new();
    for p in programs {
        let path = format!("../../datasets/programs/{p}.c");
        println!("cargo:rerun-if-changed={path}");
        build.file(path);
    }
    build.opt_level(2).flag_if_supported("-ffp-contract=off").warnings(false).compile("parrot_originals");
    println!("cargo:rustc-link-lib=m");
}
