//! Builds `examples/sobel_image.c` with the system C compiler against the static library that
//! this same `cargo test` built, runs it on a synthetic picture and a sobel surrogate, and
//! recomputes its numbers in Rust from the same blob and picture (`SurrogateView` and a port of
//! `datasets/programs/sobel.c`).
//!
//! `cargo test` compiles the library with every crate type it declares, so `libcompnet.a` sits
//! in the test binary's own folder (`target/<profile>/deps/`), fresh and built with the same
//! profile and features.

mod common;

use common::{Gray, SOBEL_MAX, edge, image_difference, sobel_reference, sobel_surrogate};
use compnet_runtime::{Path as GuardPath, Precision, SurrogateView};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the static library needs from the system when it is linked into a C program
/// (`rustc --print native-static-libs`, Linux).
pub const NATIVE_LIBS: &[&str] = &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

/// `libcompnet.a` of this cargo invocation: in the folder of the test binary.
fn static_lib() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let lib = exe.parent().expect("target/<profile>/deps").join("libcompnet.a");
    assert!(
        lib.is_file(),
        "{} missing: cargo test builds the staticlib crate type beside the test binary",
        lib.display()
    );
    lib
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

/// Compiles the example; returns the executable.
fn build_example(dir: &Path) -> PathBuf {
    let capi = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = dir.join("sobel_image");
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I"])
        .arg(capi.join("include"))
        .arg(capi.join("examples/sobel_image.c"))
        .arg(workspace_root().join("datasets/programs/sobel.c"))
        .arg(static_lib())
        .args(NATIVE_LIBS)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("running the C compiler (cc)");
    assert!(out.status.success(), "compiling sobel_image.c failed:\n{}", String::from_utf8_lossy(&out.stderr));
    exe
}

/// The value after `label` on the line that starts with it.
fn field<'a>(stdout: &'a str, label: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no line starting {label:?} in:\n{stdout}"))
        .trim()
}

#[test]
fn sobel_example_agrees_with_the_rust_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_example(dir.path());
    let picture = Gray::synthetic(96, 64);
    let blob = sobel_surrogate(0.9).to_blob(Precision::F32);
    let (image_path, blob_path, edges_path) =
        (dir.path().join("picture.pgm"), dir.path().join("sobel.cpn"), dir.path().join("edges.pgm"));
    std::fs::write(&image_path, picture.to_pgm()).unwrap();
    std::fs::write(&blob_path, &blob).unwrap();

    let out = Command::new(&exe).arg(&image_path).arg(&blob_path).arg(&edges_path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "sobel_image failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    println!("{stdout}");

    // The same computation in Rust: the reference port, and the runtime's guard on the same blob.
    let view = SurrogateView::parse(&blob).unwrap();
    let windows = picture.windows();
    let original: Vec<f32> = windows.iter().map(|w| sobel_reference(w)).collect();
    let (mut surrogate, mut fallbacks) = (Vec::with_capacity(windows.len()), 0usize);
    for w in &windows {
        let mut y = [0.0f32];
        match view.eval_or_fallback::<16>(w, &mut y, |x, y| y[0] = sobel_reference(x)).unwrap() {
            GuardPath::Surrogate => {}
            GuardPath::Fallback(_) => fallbacks += 1,
        }
        surrogate.push(y[0]);
    }
    let difference = image_difference(&original, &surrogate);

    let c_difference: f64 = field(&stdout, "rms difference / 0.7071:").parse().unwrap();
    assert!((c_difference - difference).abs() <= 1e-6, "C says {c_difference}, Rust {difference}");
    assert_eq!(field(&stdout, "image difference:"), format!("{:.2} %", 100.0 * difference));
    let on_surrogate = windows.len() - fallbacks;
    assert_eq!(
        field(&stdout, "domain guard:"),
        format!("{on_surrogate} pixels on the surrogate, {fallbacks} on the fallback (original function)")
    );
    // The test picture exercises both paths, and the hand-made surrogate is a fair sobel.
    assert!(fallbacks > 100 && on_surrogate > 1000, "{fallbacks} fallbacks, {on_surrogate} surrogate pixels");
    assert!(difference < 0.05, "image difference {difference}");
    let mean = |v: &[f32]| v.iter().map(|&e| f64::from(edge(e))).sum::<f64>() / v.len() as f64;
    assert_eq!(
        field(&stdout, "surrogate edge image:"),
        format!("mean {:.6}, max {:.6}", mean(&surrogate), surrogate.iter().map(|&e| edge(e)).fold(0.0f32, f32::max))
    );
    assert_eq!(
        field(&stdout, "original edge image:"),
        format!("mean {:.6}, max {:.6}", mean(&original), original.iter().map(|&e| edge(e)).fold(0.0f32, f32::max))
    );

    // Pixel for pixel: the edge image the C program wrote.
    let edges = std::fs::read(&edges_path).unwrap();
    let header = format!("P5\n{} {}\n255\n", picture.width, picture.height);
    assert_eq!(&edges[..header.len()], header.as_bytes());
    let want: Vec<u8> = surrogate.iter().map(|&v| (edge(v) / SOBEL_MAX * 255.0 + 0.5) as u8).collect();
    assert_eq!(&edges[header.len()..], &want[..]);
}

#[test]
fn sobel_example_reports_a_bad_blob() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_example(dir.path());
    let mut blob = sobel_surrogate(0.9).to_blob(Precision::F32);
    let n = blob.len();
    blob[n - 10] ^= 0x01;
    std::fs::write(dir.path().join("bad.cpn"), &blob).unwrap();
    std::fs::write(dir.path().join("p.pgm"), Gray::synthetic(8, 8).to_pgm()).unwrap();
    let out = Command::new(&exe).arg(dir.path().join("p.pgm")).arg(dir.path().join("bad.cpn")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("blob CRC mismatch (corrupt blob)"), "{stderr}");
}
