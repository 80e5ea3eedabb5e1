//! The `compnet` binary on bad input: a clear message naming what was wrong, and a non-zero exit.

use std::process::Command;

fn compnet(args: &[&str], cwd: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_compnet")).args(args).current_dir(cwd).output().expect("run compnet");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn unknown_program_lists_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["fit", "--program", "fftx"][..], &["dataset", "parrot", "--program", "nope"][..]] {
        let (ok, err) = compnet(args, dir.path());
        assert!(!ok, "{args:?} succeeded");
        assert!(
            err.contains("no ParrotBench program named") && err.contains("sobel") && err.contains("jmeint"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn missing_source_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = compnet(&["fit", "--source", "no/such/file.c", "--function", "f"], dir.path());
    assert!(!ok);
    assert!(err.contains("no/such/file.c") && err.contains("cannot read"), "{err}");
}

#[test]
fn malformed_c_reports_the_compiler_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.c"), "float f(float x) { return x +* ; }\n").unwrap();
    let (ok, err) = compnet(&["fit", "--source", "bad.c", "--function", "f"], dir.path());
    assert!(!ok);
    assert!(err.contains("compile") && err.contains("error"), "{err}");
}

#[test]
fn function_missing_from_source_or_unsupported_signature() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.c"), "int g(int n) { return n; }\n").unwrap();
    let (ok, err) = compnet(&["fit", "--source", "g.c", "--function", "h"], dir.path());
    assert!(!ok);
    assert!(err.contains("\"h\""), "{err}");
    let (ok, err) = compnet(&["fit", "--source", "g.c", "--function", "g"], dir.path());
    assert!(!ok);
    assert!(err.contains("int"), "{err}");
}

#[test]
fn bad_flags_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.c"), "float f(float x) { return x * x; }\n").unwrap();
    for (args, needle) in [
        (&["fit", "--source", "f.c", "--function", "f", "--domain", "3:1"][..], "lo < hi"),
        (&["fit", "--source", "f.c", "--function", "f", "--device", "tpu"][..], "unknown device"),
        (&["fit", "--source", "f.c", "--function", "f", "--activation", "swish", "--pairs", "64"][..], "swish"),
        (&["fit"][..], "--program"),
    ] {
        let (ok, err) = compnet(args, dir.path());
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// The happy path on any C function: a real fit of x² on [-1, 1] writes every artefact and the
/// blob it writes evaluates close to the real function.
#[test]
fn fit_of_a_c_source_writes_a_working_surrogate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sq.c"), "/* square */\ndouble sq(double x) { return x * x; }\n").unwrap();
    let (ok, err) = compnet(
        &["fit", "--source", "sq.c", "--function", "sq", "--pairs", "2048", "--epochs", "40", "--out", "out"],
        dir.path(),
    );
    assert!(ok, "{err}");
    for f in ["surrogate.cpn", "metrics.csv", "loss.png", "config.json", "report.json"] {
        assert!(dir.path().join("out").join(f).exists(), "{f} missing");
    }
    let blob = std::fs::read(dir.path().join("out/surrogate.cpn")).unwrap();
    let view = compnet_runtime::SurrogateView::parse(&blob).unwrap();
    assert_eq!(view.signature(), "double sq(double x)");
    let mut y = [0.0f32];
    for x in [-0.9f32, -0.3, 0.0, 0.5, 0.8] {
        view.eval::<64>(&[x], &mut y).unwrap();
        assert!((y[0] - x * x).abs() < 0.02, "sq({x}) ≈ {} (want {})", y[0], x * x);
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap()).unwrap();
    assert!(report["test_mse"].as_f64().unwrap() < 1e-3, "{report}");
}
