//! One suite of numeric cases run against every engine that evaluates a surrogate: burn's forward
//! pass, the no-alloc core (single call and tiled batch; f32 and f16 blobs), tract on the exported
//! ONNX, onnxruntime on the exported ONNX (through `ci/onnx_check.py`), and the C ABI.
//!
//! The reference is an f64 evaluation of the surrogate's definition written here (for f16 cases,
//! on the weights rounded to f16, which is what an f16 file stores). Every engine must be within
//! `TOL · max(1, |y|)` of it.

use std::path::Path;
use std::process::Command;

use burn::tensor::{Device, Tensor, TensorData};
use compnet::{
    COMPNET_SURROGATE_WORDS, compnet_eval, compnet_eval_batch, compnet_open, compnet_status, compnet_surrogate,
};
use compnet_onnx::{ExportOptions, to_onnx};
use compnet_runtime::{Activation, OnnxRunner, Precision, Surrogate, SurrogateView};
use compnet_trainer::model::SurrogateMlp;

const TOL: f64 = 2e-5;
const ROWS: usize = 64;

// The surrogate and input generators of the ONNX tests: every part of the definition in use.
#[path = "../../onnx-export/tests/common/mod.rs"]
mod common;

/// A case: a surrogate with every part of the definition in use, and inputs across its domain.
struct Case {
    surrogate: Surrogate,
    inputs: Vec<f32>,
}

fn cases() -> Vec<Case> {
    use Activation::*;
    let shapes: [(&str, &[usize], &[Activation]); 6] = [
        ("sobel", &[9, 8, 1], &[Sigmoid, Identity]),
        ("fft", &[1, 4, 4, 2], &[Tanh, Relu, Identity]),
        ("inversek2j", &[2, 8, 2], &[Sigmoid, Sigmoid]),
        ("jmeint", &[18, 32, 8, 2], &[Sigmoid, Tanh, Identity]),
        ("jpeg", &[64, 16, 64], &[Relu, Identity]),
        ("kmeans", &[6, 8, 4, 1], &[Sigmoid, Sigmoid, Identity]),
    ];
    shapes
        .iter()
        .enumerate()
        .map(|(k, (name, widths, acts))| {
            let surrogate = common::surrogate(name, widths, acts, k as u64 + 1);
            let inputs = common::inputs(&surrogate, ROWS, 100 + k as u64);
            Case { surrogate, inputs }
        })
        .collect()
}

/// The definition in f64: `y = out_scale · mlp(in_scale · x + in_offset) + out_offset`.
fn reference(s: &Surrogate, xs: &[f32]) -> Vec<f64> {
    let act = |a: Activation, v: f64| match a {
        Activation::Identity => v,
        Activation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
        Activation::Tanh => v.tanh(),
        Activation::Relu => v.max(0.0),
    };
    let mut ys = Vec::new();
    for x in xs.chunks_exact(s.n_in()) {
        let mut h: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| v as f64 * s.input_norm.scale[i] as f64 + s.input_norm.offset[i] as f64)
            .collect();
        for l in &s.layers {
            h = (0..l.n_out)
                .map(|o| {
                    let z =
                        l.biases[o] as f64 + (0..l.n_in).map(|i| l.weights[o * l.n_in + i] as f64 * h[i]).sum::<f64>();
                    act(l.activation, z)
                })
                .collect();
        }
        ys.extend(
            h.iter().enumerate().map(|(o, v)| v * s.output_norm.scale[o] as f64 + s.output_norm.offset[o] as f64),
        );
    }
    ys
}

fn assert_close(engine: &str, name: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{engine} on {name}: output count");
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g as f64 - w).abs();
        assert!(err <= TOL * w.abs().max(1.0), "{engine} on {name}: output {k} = {g}, reference {w} (|Δ| = {err:e})");
    }
}

fn burn_forward(s: &Surrogate, xs: &[f32]) -> Vec<f32> {
    let device = Device::flex();
    let n = xs.len() / s.n_in();
    let normed: Vec<f32> = xs
        .chunks_exact(s.n_in())
        .flat_map(|x| x.iter().enumerate().map(|(i, &v)| v * s.input_norm.scale[i] + s.input_norm.offset[i]))
        .collect();
    let x = Tensor::<2>::from_data(TensorData::new(normed, [n, s.n_in()]), &device);
    let y: Vec<f32> = SurrogateMlp::from_surrogate(s, &device).forward(x).into_data().try_to_vec().unwrap();
    y.chunks_exact(s.n_out())
        .flat_map(|r| r.iter().enumerate().map(|(o, &v)| v * s.output_norm.scale[o] + s.output_norm.offset[o]))
        .collect()
}

fn core_single(view: &SurrogateView<'_>, xs: &[f32]) -> Vec<f32> {
    let mut ys = vec![0.0; xs.len() / view.n_in() * view.n_out()];
    for (x, y) in xs.chunks_exact(view.n_in()).zip(ys.chunks_exact_mut(view.n_out())) {
        view.eval::<64>(x, y).unwrap();
    }
    ys
}

fn c_abi(blob: &[u8], xs: &[f32], n_in: usize, n_out: usize) -> (Vec<f32>, Vec<f32>) {
    let mut s = compnet_surrogate { opaque: [0; COMPNET_SURROGATE_WORDS] };
    assert_eq!(unsafe { compnet_open(&mut s, blob.as_ptr(), blob.len()) }, compnet_status::COMPNET_OK);
    let rows = xs.len() / n_in;
    let mut single = vec![0.0; rows * n_out];
    for (x, y) in xs.chunks_exact(n_in).zip(single.chunks_exact_mut(n_out)) {
        let st = unsafe { compnet_eval(&s, x.as_ptr(), n_in, y.as_mut_ptr(), n_out) };
        assert_eq!(st, compnet_status::COMPNET_OK);
    }
    let mut batch = vec![0.0; rows * n_out];
    let st = unsafe { compnet_eval_batch(&s, xs.as_ptr(), n_in, batch.as_mut_ptr(), n_out, rows) };
    assert_eq!(st, compnet_status::COMPNET_OK);
    (single, batch)
}

#[test]
fn every_engine_computes_the_definition() {
    let mut checked = 0;
    for c in cases() {
        let name = c.surrogate.meta.name.clone();
        for precision in [Precision::F32, Precision::F16] {
            let blob = c.surrogate.to_blob(precision);
            // What the file stores: for f16, the weights rounded to f16.
            let stored = Surrogate::from_blob(&blob).unwrap();
            let want = reference(&stored, &c.inputs);
            let tag = |engine: &str| format!("{engine} ({precision:?})");
            if precision == Precision::F32 {
                assert_close("burn forward", &name, &burn_forward(&stored, &c.inputs), &want);
            }
            let view = SurrogateView::parse(&blob).unwrap();
            assert_close(&tag("core single"), &name, &core_single(&view, &c.inputs), &want);
            let mut batch = vec![0.0; want.len()];
            view.eval_batch::<64>(&c.inputs, &mut batch).unwrap();
            assert_close(&tag("core batch"), &name, &batch, &want);
            let (single, batch) = c_abi(&blob, &c.inputs, view.n_in(), view.n_out());
            assert_close(&tag("C ABI single"), &name, &single, &want);
            assert_close(&tag("C ABI batch"), &name, &batch, &want);
            let onnx = to_onnx(&c.surrogate, &ExportOptions { precision, batch: ROWS, opset: 17 }).unwrap();
            let tract = OnnxRunner::load(&onnx, ROWS).unwrap().run(&c.inputs).unwrap();
            assert_close(&tag("tract"), &name, &tract, &want);
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

/// onnxruntime (and onnx's full checker) on the same cases, against the reference. Skipped with a
/// notice when python3 lacks onnx/onnxruntime, unless `CI` is set.
#[test]
fn onnxruntime_computes_the_definition() {
    let probe = Command::new("python3").args(["-c", "import onnx, onnxruntime"]).output();
    if !matches!(&probe, Ok(o) if o.status.success()) {
        assert!(std::env::var_os("CI").is_none(), "CI is set but python3 cannot import onnx and onnxruntime");
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"notice: skipping onnxruntime (pip install onnx onnxruntime)\n",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = 0;
    for c in cases() {
        for precision in [Precision::F32, Precision::F16] {
            let stored = Surrogate::from_blob(&c.surrogate.to_blob(precision)).unwrap();
            let want = reference(&stored, &c.inputs);
            let onnx = to_onnx(&c.surrogate, &ExportOptions { precision, batch: ROWS, opset: 17 }).unwrap();
            let rows = |v: Vec<f64>, n: usize| v.chunks(n).map(<[f64]>::to_vec).collect::<Vec<_>>();
            let xs = c.inputs.iter().map(|&v| v as f64).collect();
            let json = serde_json::json!({ "inputs": rows(xs, stored.n_in()), "outputs": rows(want, stored.n_out()) });
            let stem = format!("{}_{precision:?}", stored.meta.name).to_lowercase();
            std::fs::write(dir.path().join(format!("{stem}.onnx")), onnx).unwrap();
            std::fs::write(dir.path().join(format!("{stem}.json")), json.to_string()).unwrap();
            files += 1;
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/onnx_check.py");
    let out =
        Command::new("python3").arg(&script).arg("--relative").arg(TOL.to_string()).arg(dir.path()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{text}");
    assert!(out.status.success(), "{} failed:\n{text}", script.display());
    assert!(text.contains(&format!("{files} of {files} files ok")), "{text}");
}
