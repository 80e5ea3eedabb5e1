//! The one numeric kernel: evaluates a [`SurrogateView`] with scratch on the stack.
//!
//! `W` bounds the widest layer (inputs and outputs included); the scratch is two `[f32; W]`
//! arrays. No allocation, no panics on data: every size problem is an [`EvalError`].

use crate::Activation;
use crate::blob::{Precision, SurrogateView, f32_at};

/// Why an evaluation could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalError {
    /// The input slice does not hold `n_in` values (per pair, for batches).
    InputLen {
        /// Values expected.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// The output slice does not hold `n_out` values (per pair, for batches).
    OutputLen {
        /// Values expected.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A layer is wider than the scratch bound `W`.
    WidthExceeded {
        /// Width the surrogate needs.
        needed: usize,
        /// The bound `W` it was called with.
        max: usize,
    },
}

impl core::fmt::Display for EvalError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::InputLen { expected, got } => write!(f, "surrogate takes {expected} inputs, got {got}"),
            Self::OutputLen { expected, got } => {
                write!(f, "surrogate gives {expected} outputs, output buffer holds {got}")
            }
            Self::WidthExceeded { needed, max } => {
                write!(f, "surrogate needs scratch width {needed}, evaluator was built for at most {max}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EvalError {}

/// An input outside the surrogate's trained domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutOfDomain {
    /// Index of the input.
    pub input: usize,
    /// Its value.
    pub value: f32,
    /// Lower bound of the trained domain.
    pub lo: f32,
    /// Upper bound of the trained domain.
    pub hi: f32,
}

/// How stored weights become f32.
trait Element {
    const SIZE: usize;
    fn load(b: &[u8]) -> f32;
}

struct F32Le;
impl Element for F32Le {
    const SIZE: usize = 4;
    #[inline(always)]
    fn load(b: &[u8]) -> f32 {
        f32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
}

struct F16Le;
impl Element for F16Le {
    const SIZE: usize = 2;
    #[inline(always)]
    fn load(b: &[u8]) -> f32 {
        half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32()
    }
}

/// `y = act(W·x + b)` for one layer; `w` holds one row of `x.len()` weights per output.
#[inline(always)]
fn dense<E: Element>(w: &[u8], b: &[u8], x: &[f32], y: &mut [f32], act: Activation) {
    let row_bytes = x.len() * E::SIZE;
    for ((yo, row), bias) in y.iter_mut().zip(w.chunks_exact(row_bytes)).zip(b.chunks_exact(E::SIZE)) {
        let mut acc = E::load(bias);
        for (wi, &xi) in row.chunks_exact(E::SIZE).zip(x) {
            acc += E::load(wi) * xi;
        }
        *yo = acc;
    }
    act.apply_all(y);
}

/// Rows per tile of [`SurrogateView::eval_batch`]: 8 f32 lanes fill one AVX register, two SSE
/// or NEON registers.
pub const TILE: usize = 8;

/// One layer on a tile of rows: `y[o][r] = act(b[o] + Σᵢ w[o][i] · x[i][r])`, summed in `i` order
/// exactly as [`dense`] does for one row.
#[inline(always)]
fn dense_tile<E: Element>(w: &[u8], b: &[u8], x: &[[f32; TILE]], y: &mut [[f32; TILE]], act: Activation) {
    let row_bytes = x.len() * E::SIZE;
    for ((yo, row), bias) in y.iter_mut().zip(w.chunks_exact(row_bytes)).zip(b.chunks_exact(E::SIZE)) {
        let mut acc = [E::load(bias); TILE];
        for (wi, xi) in row.chunks_exact(E::SIZE).zip(x) {
            let wv = E::load(wi);
            for (a, xv) in acc.iter_mut().zip(xi) {
                *a += wv * xv;
            }
        }
        *yo = acc;
    }
    act.apply_all(y.as_flattened_mut());
}

impl SurrogateView<'_> {
    /// Evaluates the surrogate on one input vector of raw (unnormalised) values.
    #[inline]
    pub fn eval<const W: usize>(&self, x: &[f32], y: &mut [f32]) -> Result<(), EvalError> {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.eval_avx2::<W>(x, y) };
        }
        self.eval_portable::<W>(x, y)
    }

    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx2")]
    unsafe fn eval_avx2<const W: usize>(&self, x: &[f32], y: &mut [f32]) -> Result<(), EvalError> {
        self.eval_portable::<W>(x, y)
    }

    #[inline(always)]
    fn eval_portable<const W: usize>(&self, x: &[f32], y: &mut [f32]) -> Result<(), EvalError> {
        let (n_in, n_out) = (self.n_in(), self.n_out());
        if x.len() != n_in {
            return Err(EvalError::InputLen { expected: n_in, got: x.len() });
        }
        if y.len() != n_out {
            return Err(EvalError::OutputLen { expected: n_out, got: y.len() });
        }
        let needed = self.max_width();
        if needed > W {
            return Err(EvalError::WidthExceeded { needed, max: W });
        }
        let mut a = [0.0f32; W];
        let mut h = [0.0f32; W];
        let (norm, bytes) = (self.layout.input_norm, self.bytes);
        for (i, (ai, &xi)) in a.iter_mut().zip(x).enumerate() {
            *ai = xi * f32_at(bytes, norm + 4 * i) + f32_at(bytes, norm + 4 * (n_in + i));
        }
        // Ping-pong between the two buffers by swapping references, not contents.
        let (mut a, mut h) = (&mut a, &mut h);
        for (width, out, w, b, act) in self.layers() {
            match self.precision {
                Precision::F32 => dense::<F32Le>(w, b, &a[..width], &mut h[..out], act),
                Precision::F16 => dense::<F16Le>(w, b, &a[..width], &mut h[..out], act),
            }
            core::mem::swap(&mut a, &mut h);
        }
        let norm = self.layout.output_norm;
        for (o, (yo, &ao)) in y.iter_mut().zip(&a[..n_out]).enumerate() {
            *yo = ao * f32_at(bytes, norm + 4 * o) + f32_at(bytes, norm + 4 * (n_out + o));
        }
        Ok(())
    }

    /// Evaluates a row-major batch: `xs` holds `k · n_in` values, `ys` receives `k · n_out`.
    ///
    /// Rows go through in tiles of [`TILE`]: each layer then runs one weight at a time against a
    /// whole tile (a short fixed-length loop the compiler turns into SIMD), with the same operation
    /// order per row as [`Self::eval`], so both give the same bits. Scratch: two `[[f32; TILE]; W]`
    /// arrays on the stack. With `std` on x86-64 the same code is also compiled for AVX2 and
    /// chosen at run time where the CPU has it (same operations, same bits, twice the lanes).
    pub fn eval_batch<const W: usize>(&self, xs: &[f32], ys: &mut [f32]) -> Result<(), EvalError> {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.eval_batch_avx2::<W>(xs, ys) };
        }
        self.eval_batch_portable::<W>(xs, ys)
    }

    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx2")]
    unsafe fn eval_batch_avx2<const W: usize>(&self, xs: &[f32], ys: &mut [f32]) -> Result<(), EvalError> {
        self.eval_batch_portable::<W>(xs, ys)
    }

    #[inline(always)]
    fn eval_batch_portable<const W: usize>(&self, xs: &[f32], ys: &mut [f32]) -> Result<(), EvalError> {
        let (n_in, n_out) = (self.n_in(), self.n_out());
        if xs.len() % n_in != 0 {
            return Err(EvalError::InputLen { expected: n_in, got: xs.len() % n_in });
        }
        let rows = xs.len() / n_in;
        if ys.len() != rows * n_out {
            return Err(EvalError::OutputLen { expected: rows * n_out, got: ys.len() });
        }
        let needed = self.max_width();
        if needed > W {
            return Err(EvalError::WidthExceeded { needed, max: W });
        }
        let mut a = [[0.0f32; TILE]; W];
        let mut h = [[0.0f32; TILE]; W];
        let bytes = self.bytes;
        let (inorm, onorm) = (self.layout.input_norm, self.layout.output_norm);
        for (xt, yt) in xs.chunks(TILE * n_in).zip(ys.chunks_mut(TILE * n_out)) {
            let t = xt.len() / n_in;
            for (i, ai) in a.iter_mut().enumerate().take(n_in) {
                let (scale, offset) = (f32_at(bytes, inorm + 4 * i), f32_at(bytes, inorm + 4 * (n_in + i)));
                for (r, v) in ai.iter_mut().enumerate() {
                    *v = if r < t { xt[r * n_in + i] * scale + offset } else { 0.0 };
                }
            }
            let (mut a, mut h) = (&mut a, &mut h);
            for (width, out, w, b, act) in self.layers() {
                match self.precision {
                    Precision::F32 => dense_tile::<F32Le>(w, b, &a[..width], &mut h[..out], act),
                    Precision::F16 => dense_tile::<F16Le>(w, b, &a[..width], &mut h[..out], act),
                }
                core::mem::swap(&mut a, &mut h);
            }
            for (o, ao) in a.iter().enumerate().take(n_out) {
                let (scale, offset) = (f32_at(bytes, onorm + 4 * o), f32_at(bytes, onorm + 4 * (n_out + o)));
                for (r, v) in ao.iter().enumerate().take(t) {
                    yt[r * n_out + o] = v * scale + offset;
                }
            }
        }
        Ok(())
    }

    /// The first input outside the trained domain, if any (NaN counts as outside).
    pub fn out_of_domain(&self, x: &[f32]) -> Option<OutOfDomain> {
        x.iter().take(self.n_in()).enumerate().find_map(|(input, &value)| {
            let (lo, hi) = self.domain(input);
            let inside = value >= lo && value <= hi;
            (!inside).then_some(OutOfDomain { input, value, lo, hi })
        })
    }
}

/// Which path produced the outputs of [`SurrogateView::eval_or_fallback`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Path {
    /// Every input was inside the trained domain: the surrogate ran.
    Surrogate,
    /// An input was outside it: the fallback (the original function) ran.
    Fallback(OutOfDomain),
}

impl SurrogateView<'_> {
    /// The out-of-domain guard: evaluates the surrogate when every input lies inside its trained
    /// domain, otherwise calls `fallback` (typically the original C function) on the same
    /// buffers, and says which path ran.
    pub fn eval_or_fallback<const W: usize>(
        &self,
        x: &[f32],
        y: &mut [f32],
        fallback: impl FnOnce(&[f32], &mut [f32]),
    ) -> Result<Path, EvalError> {
        if x.len() != self.n_in() {
            return Err(EvalError::InputLen { expected: self.n_in(), got: x.len() });
        }
        if y.len() != self.n_out() {
            return Err(EvalError::OutputLen { expected: self.n_out(), got: y.len() });
        }
        match self.out_of_domain(x) {
            None => self.eval::<W>(x, y).map(|()| Path::Surrogate),
            Some(o) => {
                fallback(x, y);
                Ok(Path::Fallback(o))
            }
        }
    }
}
