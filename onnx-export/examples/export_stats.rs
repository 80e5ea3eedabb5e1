//! Exports a 9→8→1 sigmoid surrogate (the shape of ParrotBench's sobel) in f32 and f16 and prints
//! file sizes, export time and the tract-vs-kernel difference.
//!
//! `cargo run --release -p compnet-onnx --example export_stats [OUT_DIR]` (writes the files there
//! when given, for `python3 ci/onnx_check.py`-style inspection).

use std::time::Instant;

use compnet_onnx::{ExportOptions, to_onnx};
use compnet_runtime::{Activation, Affine, Layer, Metadata, OnnxRunner, Precision, Surrogate, SurrogateView};

fn main() {
    let wave = |n: usize, f: f32| (0..n).map(|i| (i as f32 * f).sin() * 0.8).collect::<Vec<f32>>();
    let s = Surrogate::new(
        Metadata {
            name: "sobel".into(),
            signature: "float sobel(float w[3][3])".into(),
            source_hash: Metadata::source_hash("sobel"),
            export_error: 1.2e-4,
        },
        vec![(0.0, 1.0); 9],
        Affine { scale: vec![2.0; 9], offset: vec![-1.0; 9] },
        Affine { scale: vec![1.5], offset: vec![-0.25] },
        vec![
            Layer { n_in: 9, n_out: 8, weights: wave(72, 0.37), biases: wave(8, 1.3), activation: Activation::Sigmoid },
            Layer { n_in: 8, n_out: 1, weights: wave(8, 0.91), biases: vec![0.1], activation: Activation::Sigmoid },
        ],
    )
    .expect("valid surrogate");
    let out = std::env::args().nth(1);
    for precision in [Precision::F32, Precision::F16] {
        let opts = ExportOptions { precision, ..Default::default() };
        let reps = 10_000;
        let start = Instant::now();
        let mut bytes = Vec::new();
        for _ in 0..reps {
            bytes = to_onnx(&s, &opts).expect("export");
        }
        let per_export = start.elapsed() / reps;
        let mut runner = OnnxRunner::load(&bytes, 1).expect("tract loads the export");
        let blob = s.to_blob(precision);
        let view = SurrogateView::parse(&blob).expect("blob");
        let mut worst = 0.0f32;
        for k in 0..1000 {
            let x: Vec<f32> = (0..9).map(|i| ((k * 9 + i) as f32 * 0.618).fract()).collect();
            let y = runner.run(&x).expect("tract run");
            let mut r = [0.0f32];
            view.eval::<16>(&x, &mut r).expect("kernel");
            worst = worst.max((y[0] - r[0]).abs());
        }
        println!(
            "{precision:?}: {} bytes ONNX ({} bytes .cpn), export {per_export:?}, max |tract − kernel| over 1000 inputs = {worst:.3e}",
            bytes.len(),
            blob.len()
        );
        if let Some(dir) = &out {
            let path = std::path::Path::new(dir).join(format!("sobel_{precision:?}.onnx").to_lowercase());
            std::fs::write(&path, &bytes).expect("write");
            println!("  wrote {}", path.display());
        }
    }
}
