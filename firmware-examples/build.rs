//! Puts `memory.x` on the linker's path and builds the C side with `arm-none-eabi-gcc`: the
//! ParrotBench originals (`datasets/programs/*.c`, the functions the surrogates replace) and the
//! hand-written C reference loop of the sobel network. newlib's libm for the hard-float Cortex-M4F
//! multilib supplies `sqrt`, `sin`, `cos`, `expf`.

use std::path::PathBuf;
use std::process::Command;

/// Flags of every C file: the same CPU and float ABI as the Rust target.
const C_FLAGS: &[&str] = &["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard", "-mthumb"];

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::copy("memory.x", out.join("memory.x")).unwrap();
    // cortex-m-rt's `device` feature includes device.x (names of device interrupt handlers); the
    // firmware's one-entry table (src/lib.rs) names none.
    std::fs::write(out.join("device.x"), "/* no device interrupt handlers */\n").unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");

    let programs = ["sobel", "fft", "kmeans"].map(|p| format!("../datasets/programs/{p}.c"));
    let mut originals = cc::Build::new();
    originals.compiler("arm-none-eabi-gcc").archiver("arm-none-eabi-ar").opt_level(2).warnings(true);
    for f in C_FLAGS {
        originals.flag(f);
    }
    originals.flag("-ffunction-sections").flag("-fdata-sections");
    for p in &programs {
        originals.file(p);
        println!("cargo:rerun-if-changed={p}");
    }
    originals.compile("parrot_originals");

    let mut reference = cc::Build::new();
    reference.compiler("arm-none-eabi-gcc").archiver("arm-none-eabi-ar").opt_level(2).warnings(true);
    for f in C_FLAGS {
        reference.flag(f);
    }
    reference.flag("-ffunction-sections").flag("-fdata-sections").file("c/sobel_ref.c").include("c");
    reference.compile("sobel_ref");
    println!("cargo:rerun-if-changed=c/sobel_ref.c");
    println!("cargo:rerun-if-changed=c/sobel_weights.h");

    // newlib's libm and libc (errno) for this multilib, wherever the toolchain keeps them.
    let libm = Command::new("arm-none-eabi-gcc")
        .args(C_FLAGS)
        .arg("-print-file-name=libm.a")
        .output()
        .expect("arm-none-eabi-gcc not found: run ci/firmware-setup.sh");
    let libm = PathBuf::from(String::from_utf8(libm.stdout).unwrap().trim());
    println!("cargo:rustc-link-search={}", libm.parent().unwrap().display());
    println!("cargo:rustc-link-lib=static=m");
    println!("cargo:rustc-link-lib=static=c_nano");
    println!("cargo:rustc-link-lib=static=nosys");
}
