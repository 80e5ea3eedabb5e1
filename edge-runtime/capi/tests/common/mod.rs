//! Surrogates, images and references shared by the C ABI tests.
#![allow(dead_code)]
// 0.7071 is sobel.c's own literal (√½ rounded to 4 digits), not an approximation of FRAC_1_SQRT_2.
#![allow(clippy::approx_constant)]

use compnet_runtime::{Activation, Affine, Layer, LayerParam, Metadata, Precision, Surrogate};

/// sobel's clamp (datasets/programs/sobel.c).
pub const SOBEL_MAX: f32 = 0.7071;

/// The C signature of `datasets/programs/sobel.c`.
pub const SOBEL_SIGNATURE: &str =
    "float sobel(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7, float p8)";

/// A hand-made 9→8→1 ReLU surrogate of sobel that is a real (if rough) approximation: the hidden
/// units are `relu(±g·u_k)` for the Sobel gradient `g = (gx, gy)` and four directions
/// `u_k = (cos kπ/4, sin kπ/4)`, and `Σ_k |g·u_k| / 2.5137 ≈ |g|` within about ±4 %. It uses the
/// whole format: input normalisation `x' = 2x − 1` (undone by halving the weights, whose rows
/// sum to 0), output normalisation, metadata, and a trained domain of `[0, hi]` per pixel so that
/// bright windows go to the fallback.
pub fn sobel_surrogate(hi: f32) -> Surrogate {
    let wx = [-1.0f32, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0];
    let wy = [-1.0f32, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0];
    let mut weights = Vec::with_capacity(72);
    for k in 0..4 {
        let a = k as f32 * std::f32::consts::FRAC_PI_4;
        for sign in [1.0f32, -1.0] {
            weights.extend((0..9).map(|i| sign * 0.5 * (wx[i] * a.cos() + wy[i] * a.sin())));
        }
    }
    let hidden = Layer { n_in: 9, n_out: 8, weights, biases: vec![0.0; 8], activation: Activation::Relu };
    let out = Layer { n_in: 8, n_out: 1, weights: vec![1.0; 8], biases: vec![0.0], activation: Activation::Identity };
    let meta = Metadata {
        name: "sobel".into(),
        signature: SOBEL_SIGNATURE.into(),
        source_hash: Metadata::source_hash("hand-made test surrogate"),
        export_error: f32::NAN,
    };
    let input_norm = Affine { scale: vec![2.0; 9], offset: vec![-1.0; 9] };
    let output_norm = Affine { scale: vec![1.0 / 2.5137], offset: vec![0.0] };
    Surrogate::new(meta, vec![(0.0, hi); 9], input_norm, output_norm, vec![hidden, out]).unwrap()
}

/// A dense surrogate with the given widths, deterministic pseudo-random weights, every activation
/// in turn, non-trivial normalisation and the domain `[-1, 1]` per input.
pub fn dense_surrogate(name: &str, widths: &[usize]) -> Surrogate {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let layers = Layer::chain(
        widths,
        |k| Activation::ALL[(k + 1) % Activation::ALL.len()],
        |p| match p {
            LayerParam::Weight { fan_in, .. } => next() / (fan_in as f32).sqrt(),
            LayerParam::Bias => 0.1 * next(),
        },
    );
    let (n_in, n_out) = (widths[0], widths[widths.len() - 1]);
    let input_norm = Affine { scale: (0..n_in).map(|i| 1.0 + 0.1 * i as f32).collect(), offset: vec![0.25; n_in] };
    let output_norm = Affine { scale: vec![3.0; n_out], offset: (0..n_out).map(|o| o as f32).collect() };
    let meta = Metadata { name: name.into(), signature: String::new(), source_hash: 7, export_error: 0.5 };
    Surrogate::new(meta, vec![(-1.0, 1.0); n_in], input_norm, output_norm, layers).unwrap()
}

/// Both storage precisions of a surrogate's blob.
pub fn blobs(s: &Surrogate) -> [Vec<u8>; 2] {
    [s.to_blob(Precision::F32), s.to_blob(Precision::F16)]
}

/// CRC-32 (IEEE), to re-seal blobs whose later fields a test corrupts.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// Recomputes the trailing CRC of a blob after its bytes were changed.
pub fn reseal(blob: &mut [u8]) {
    let n = blob.len() - 4;
    let crc = crc32(&blob[..n]);
    blob[n..].copy_from_slice(&crc.to_le_bytes());
}

/// Rust port of `datasets/programs/sobel.c`, operation for operation (in double, like the C).
pub fn sobel_reference(p: &[f32]) -> f32 {
    let d = |i: usize| f64::from(p[i]);
    let gx = (d(2) + 2.0 * d(5) + d(8)) - (d(0) + 2.0 * d(3) + d(6));
    let gy = (d(6) + 2.0 * d(7) + d(8)) - (d(0) + 2.0 * d(1) + d(2));
    let magnitude = (gx * gx + gy * gy).sqrt();
    (if magnitude > 0.7071 { 0.7071 } else { magnitude }) as f32
}

/// An 8-bit grayscale image.
#[derive(Debug, Clone)]
pub struct Gray {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Row-major samples.
    pub pixels: Vec<u8>,
}

impl Gray {
    /// A synthetic test picture: a diagonal gradient, a bright disc (whose windows leave a
    /// `[0, 0.9]` domain), a dark vertical bar with hard edges, and a little deterministic noise.
    pub fn synthetic(width: usize, height: usize) -> Self {
        let mut noise = 12345u32;
        let mut pixels = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                noise = noise.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let mut v = 40.0 + 120.0 * (x + y) as f64 / (width + height) as f64;
                let (dx, dy) = (x as f64 - 0.7 * width as f64, y as f64 - 0.4 * height as f64);
                if dx * dx + dy * dy < (0.18 * height as f64).powi(2) {
                    v = 250.0;
                }
                if (width / 4..width / 4 + 6).contains(&x) {
                    v = 10.0;
                }
                v += f64::from((noise >> 16) % 9) - 4.0;
                pixels.push(v.clamp(0.0, 255.0) as u8);
            }
        }
        Self { width, height, pixels }
    }

    /// Binary PGM (P5) bytes, with a comment line as real files have.
    pub fn to_pgm(&self) -> Vec<u8> {
        let mut b = format!("P5\n# compnet test image\n{} {}\n255\n", self.width, self.height).into_bytes();
        b.extend_from_slice(&self.pixels);
        b
    }

    /// The 3×3 luminance windows (`sample / 256`, edges replicated), raster order: as the dataset
    /// builder and the C example make them.
    pub fn windows(&self) -> Vec<[f32; 9]> {
        let (w, h) = (self.width as isize, self.height as isize);
        let at =
            |x: isize, y: isize| f32::from(self.pixels[(y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) as usize]) / 256.0;
        let mut out = Vec::with_capacity(self.pixels.len());
        for y in 0..h {
            for x in 0..w {
                let mut win = [0.0f32; 9];
                for (k, v) in win.iter_mut().enumerate() {
                    *v = at(x + k as isize % 3 - 1, y + k as isize / 3 - 1);
                }
                out.push(win);
            }
        }
        out
    }
}

/// `clamp(v, 0, 0.7071)`: an edge image's pixel.
pub fn edge(v: f32) -> f32 {
    v.clamp(0.0, SOBEL_MAX)
}

/// The image difference: RMS of the edge images' difference divided by 0.7071 (a fraction).
pub fn image_difference(a: &[f32], b: &[f32]) -> f64 {
    let sum: f64 = a.iter().zip(b).map(|(&x, &y)| (f64::from(edge(x)) - f64::from(edge(y))).powi(2)).sum();
    (sum / a.len() as f64).sqrt() / f64::from(SOBEL_MAX)
}
