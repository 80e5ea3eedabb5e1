//! tract (through the runtime's `OnnxRunner`) running exported graphs, held against the runtime's
//! no-alloc kernel (`SurrogateView::eval` on the blob of the same precision).

mod common;

use compnet_onnx::{ExportOptions, to_onnx};
use compnet_runtime::{OnnxRunner, Precision, RunnerError};

/// Both engines compute the same f32 arithmetic on the same (f16-widened, for F16) weights; they
/// differ only in summation order (tract's packed matmul vs the kernel's row loop) and in their
/// exp / sigmoid / tanh approximations, each a few f32 ulps. Outputs of these tests are O(1–10), so
/// a few ulps at the output scale is ≲ 2e-6; 1e-5 leaves margin for both precisions.
const BOUND: f32 = 1e-5;

fn check(precision: Precision, batch: usize) -> f32 {
    let mut worst = 0.0f32;
    for (k, s) in common::all().iter().enumerate() {
        let bytes = to_onnx(s, &ExportOptions { precision, batch, ..Default::default() }).unwrap();
        let mut runner = OnnxRunner::load(&bytes, batch).unwrap();
        assert_eq!((runner.n_in(), runner.n_out(), runner.batch()), (s.n_in(), s.n_out(), batch));
        let xs = common::inputs(s, 37, 7 + k as u64);
        let ys = runner.run_rows(&xs).unwrap();
        let reference = common::kernel(s, precision, &xs);
        let d = common::max_abs_diff(&ys, &reference);
        eprintln!("{precision:?} batch {batch} {}: max |tract − kernel| = {d:.3e}", s.meta.name);
        assert!(d <= BOUND, "{}: {d:e}", s.meta.name);
        worst = worst.max(d);
    }
    worst
}

#[test]
fn tract_matches_the_kernel_in_f32() {
    for batch in [1, 8, 16] {
        check(Precision::F32, batch);
    }
}

#[test]
fn tract_matches_the_kernel_with_f16_weights() {
    for batch in [1, 8] {
        check(Precision::F16, batch);
    }
}

#[test]
fn run_reuses_its_plan_and_pads_the_last_chunk() {
    let s = &common::all()[2];
    let bytes = to_onnx(s, &ExportOptions { batch: 4, ..Default::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inversek2j.onnx");
    std::fs::write(&path, &bytes).unwrap();
    let mut r = OnnxRunner::load(&path, 4).unwrap();
    assert!(r.file().ends_with("inversek2j.onnx"));
    // 10 rows = 4 + 4 + 2 (padded); every row equals its own single-batch run through the same plan.
    let xs = common::inputs(s, 10, 3);
    let all = r.run_rows(&xs).unwrap();
    assert_eq!(all.len(), 10 * s.n_out());
    for _ in 0..3 {
        let first = r.run(&xs[..4 * s.n_in()]).unwrap();
        assert_eq!(first, all[..4 * s.n_out()]);
    }
    // A NaN input is allowed and touches only its own row. What that row gets is unspecified:
    // tract's sigmoid/tanh clamp their argument with min/max, which drops the NaN (the kernel's
    // exp propagates it), so it may come out finite.
    let mut nan = xs[..4 * s.n_in()].to_vec();
    nan[s.n_in()] = f32::NAN;
    let y = r.run(&nan).unwrap();
    assert_eq!(y[..s.n_out()], all[..s.n_out()]);
    assert_eq!(y[2 * s.n_out()..], all[2 * s.n_out()..4 * s.n_out()]);
}

#[test]
fn runner_errors_name_the_file_and_the_problem() {
    let s = &common::all()[0];
    let bytes = to_onnx(s, &ExportOptions::default()).unwrap();
    let mut r = OnnxRunner::load(&bytes, 2).unwrap();
    let e = r.run(&[0.0; 9]).unwrap_err();
    assert!(matches!(e, RunnerError::InputLen { expected: 18, got: 9, .. }), "{e}");
    let e = r.run_rows(&[0.0; 10]).unwrap_err();
    assert!(matches!(e, RunnerError::InputLen { .. }), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.onnx");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = OnnxRunner::load(&path, 1).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("broken.onnx"), "{msg}");
    assert!(matches!(e, RunnerError::Decode { .. } | RunnerError::Prepare { .. }), "{msg}");
}
