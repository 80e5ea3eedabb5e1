//! Engines side by side on the Parrot-sized surrogates of sobel (9→8→1), kmeans (6→8→4→1) and
//! fft (1→4→4→2): the original C function (through FFI), the runtime's no-alloc core (f32 and
//! f16 blobs), the compile-time path (sobel), and tract on the exported ONNX. Per-call latency
//! (`single/…`) and throughput on 1,024-row batches (`batch/…`).
//!
//! `cargo bench -p compnet-engine-bench` — figures and ratios: docs/benchmarks.md.

use std::hint::black_box;

use compnet_onnx::{ExportOptions, to_onnx};
use compnet_runtime::{Activation, Affine, Layer, Metadata, OnnxRunner, Precision, Surrogate, SurrogateView};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[allow(dead_code, clippy::all)]
#[rustfmt::skip]
#[path = "../../tests/fixtures/sobel_like.rs"]
mod sobel_fixed;

#[link(name = "parrot_originals", kind = "static")]
unsafe extern "C" {
    fn sobel(p0: f32, p1: f32, p2: f32, p3: f32, p4: f32, p5: f32, p6: f32, p7: f32, p8: f32) -> f32;
    fn kmeans(r: f32, g: f32, b: f32, cr: f32, cg: f32, cb: f32) -> f32;
    fn fft(x: f32, sin_out: *mut f32, cos_out: *mut f32);
}

fn c_sobel(x: &[f32], y: &mut [f32]) {
    y[0] = unsafe { sobel(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]) };
}
fn c_kmeans(x: &[f32], y: &mut [f32]) {
    y[0] = unsafe { kmeans(x[0], x[1], x[2], x[3], x[4], x[5]) };
}
fn c_fft(x: &[f32], y: &mut [f32]) {
    let (s, c) = y.split_at_mut(1);
    unsafe { fft(x[0], &mut s[0], &mut c[0]) };
}

/// A surrogate of the given widths with deterministic weights (speed does not depend on them).
fn surrogate(name: &str, widths: &[usize]) -> Surrogate {
    let mut seed = 0x9e37_79b9u32;
    let mut next = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    };
    let last = widths.len() - 2;
    let layers =
        Layer::chain(widths, |k| if k == last { Activation::Identity } else { Activation::Sigmoid }, |_| next());
    let (n_in, n_out) = (widths[0], widths[widths.len() - 1]);
    Surrogate::new(
        Metadata::named(name),
        vec![(0.0, 1.0); n_in],
        Affine { scale: vec![2.0; n_in], offset: vec![-1.0; n_in] },
        Affine { scale: vec![0.5; n_out], offset: vec![0.1; n_out] },
        layers,
    )
    .unwrap()
}

struct Case {
    name: &'static str,
    widths: &'static [usize],
    original: fn(&[f32], &mut [f32]),
}

const CASES: [Case; 3] = [
    Case { name: "sobel", widths: &[9, 8, 1], original: c_sobel },
    Case { name: "kmeans", widths: &[6, 8, 4, 1], original: c_kmeans },
    Case { name: "fft", widths: &[1, 4, 4, 2], original: c_fft },
];

const ROWS: usize = 1024;

fn engines(c: &mut Criterion) {
    for case in &CASES {
        let s = surrogate(case.name, case.widths);
        let (n_in, n_out) = (s.n_in(), s.n_out());
        let blob32 = s.to_blob(Precision::F32);
        let blob16 = s.to_blob(Precision::F16);
        let v32 = SurrogateView::parse(&blob32).unwrap();
        let v16 = SurrogateView::parse(&blob16).unwrap();
        let xs: Vec<f32> = (0..ROWS * n_in).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
        let x1 = xs[..n_in].to_vec();
        let onnx1 = to_onnx(&s, &ExportOptions { batch: 1, ..ExportOptions::default() }).unwrap();
        let onnx_batch = to_onnx(&s, &ExportOptions { batch: ROWS, ..ExportOptions::default() }).unwrap();
        let mut tract1 = OnnxRunner::load(&onnx1, 1).unwrap();
        let mut tract_batch = OnnxRunner::load(&onnx_batch, ROWS).unwrap();

        let mut g = c.benchmark_group(format!("single/{}", case.name));
        let mut y = vec![0.0f32; n_out];
        g.bench_function("c_original", |b| b.iter(|| (case.original)(black_box(&x1), black_box(&mut y))));
        g.bench_function("core_f32", |b| b.iter(|| v32.eval::<16>(black_box(&x1), black_box(&mut y)).unwrap()));
        g.bench_function("core_f16", |b| b.iter(|| v16.eval::<16>(black_box(&x1), black_box(&mut y)).unwrap()));
        if case.name == "sobel" {
            let x9: [f32; 9] = x1.clone().try_into().unwrap();
            g.bench_function("fixed", |b| b.iter(|| sobel_fixed::eval(black_box(&x9))));
        }
        g.bench_function("tract", |b| b.iter(|| tract1.run(black_box(&x1)).unwrap()));
        g.finish();

        let mut g = c.benchmark_group(format!("batch/{}", case.name));
        g.throughput(Throughput::Elements(ROWS as u64));
        let mut ys = vec![0.0f32; ROWS * n_out];
        g.bench_function("c_original", |b| {
            b.iter(|| {
                for (x, y) in xs.chunks_exact(n_in).zip(ys.chunks_exact_mut(n_out)) {
                    (case.original)(black_box(x), y);
                }
            })
        });
        g.bench_function("core_f32", |b| b.iter(|| v32.eval_batch::<16>(black_box(&xs), black_box(&mut ys)).unwrap()));
        g.bench_function("core_f16", |b| b.iter(|| v16.eval_batch::<16>(black_box(&xs), black_box(&mut ys)).unwrap()));
        g.bench_function("tract", |b| b.iter(|| tract_batch.run(black_box(&xs)).unwrap()));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = engines
}
criterion_main!(benches);
