//! Surrogates and inputs shared by the integration tests: deterministic, with every feature in use.
#![allow(dead_code)]

use compnet_runtime::{Activation, Affine, Layer, LayerParam, Metadata, Surrogate};

/// splitmix64: a small deterministic generator, so tests need no `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * u
    }
    pub fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

/// The shapes the tests cover: widths and one activation per layer.
pub fn cases() -> Vec<(&'static str, Vec<usize>, Vec<Activation>)> {
    use Activation::*;
    vec![
        ("sobel_9_8_1", vec![9, 8, 1], vec![Sigmoid, Sigmoid]),
        ("fft_1_4_4_2", vec![1, 4, 4, 2], vec![Tanh, Relu, Identity]),
        ("inversek2j_18_32_8_2", vec![18, 32, 8, 2], vec![Sigmoid, Tanh, Identity]),
        ("jpeg_64_16_64", vec![64, 16, 64], vec![Tanh, Relu]),
    ]
}

/// A surrogate of the given shape with Xavier-scaled weights, non-trivial normalisation, a finite
/// domain and full metadata.
pub fn surrogate(name: &str, widths: &[usize], acts: &[Activation], seed: u64) -> Surrogate {
    let mut rng = Rng::new(seed);
    let layers = Layer::chain(
        widths,
        |k| acts[k],
        |p| match p {
            LayerParam::Weight { fan_in, fan_out } => {
                let bound = (6.0 / (fan_in + fan_out) as f32).sqrt() * 1.5;
                rng.uniform(-bound, bound)
            }
            LayerParam::Bias => rng.uniform(-0.5, 0.5),
        },
    );
    let (n_in, n_out) = (widths[0], widths[widths.len() - 1]);
    let domain = (0..n_in)
        .map(|_| {
            let lo = rng.uniform(-4.0, 0.0);
            (lo, lo + rng.uniform(0.5, 5.0))
        })
        .collect();
    Surrogate::new(
        Metadata {
            name: name.to_owned(),
            signature: format!("void {name}(const float *in /* {n_in} */, float *out /* {n_out} */)"),
            source_hash: Metadata::source_hash(name),
            export_error: rng.uniform(1e-5, 1e-2),
        },
        domain,
        Affine { scale: rng.vec(n_in, 0.2, 3.0), offset: rng.vec(n_in, -1.0, 1.0) },
        Affine { scale: rng.vec(n_out, 0.2, 3.0), offset: rng.vec(n_out, -1.0, 1.0) },
        layers,
    )
    .expect("valid test surrogate")
}

/// All test surrogates, one per case.
pub fn all() -> Vec<Surrogate> {
    cases().iter().enumerate().map(|(i, (n, w, a))| surrogate(n, w, a, 1000 + i as u64)).collect()
}

/// `rows` input rows drawn from the surrogate's domain (widened by 10 % on each side).
pub fn inputs(s: &Surrogate, rows: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..rows)
        .flat_map(|_| s.domain.iter().map(|&(lo, hi)| (lo, hi, 0.1 * (hi - lo))).collect::<Vec<_>>())
        .map(|(lo, hi, m)| rng.uniform(lo - m, hi + m))
        .collect()
}

/// The runtime's no-alloc kernel (`SurrogateView::eval`, one row at a time) on the blob of
/// `precision`: the reference every engine is held against.
pub fn kernel(s: &Surrogate, precision: compnet_runtime::Precision, xs: &[f32]) -> Vec<f32> {
    let blob = s.to_blob(precision);
    let view = compnet_runtime::SurrogateView::parse(&blob).expect("valid blob");
    let mut ys = vec![0.0; xs.len() / s.n_in() * s.n_out()];
    for (x, y) in xs.chunks_exact(s.n_in()).zip(ys.chunks_exact_mut(s.n_out())) {
        view.eval::<128>(x, y).expect("kernel eval");
    }
    ys
}

/// Largest absolute difference between two equally long slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| if (x - y).is_nan() { f32::INFINITY } else { (x - y).abs() }).fold(0.0, f32::max)
}
