//! The one numeric kernel: evaluates a [`SurrogateView`] with scratch on the stack.
//!
//! `W` bounds the widest layer (inputs and outputs included); the scratch is one `[[f32; W]; 2]`
//! (two buffers, swapped by reference from layer to layer). No allocation, no panics on data:
//! every size problem is an [`EvalError`].
//!
//! Evaluation reads what `parse` validated without checking it again value by value: widths and
//! activation codes are walked once per call, each section is sliced once. The weights of an f32
//! blob at a 4-aligned address are read in place as `&[f32]` (on little-endian targets), others
//! byte-wise; every path performs the same operations in the same order, so all give the same bits.

use crate::blob::{LayerShape, Precision, SurrogateView};

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

/// How stored weights become f32: the weight section is read as `Unit`s, `PER` of them per value.
trait Element {
    type Unit: Copy;
    const PER: usize;
    /// The values stored in `u`, in order.
    fn values(u: &[Self::Unit]) -> impl Iterator<Item = f32>;
    /// `acc + Σᵢ w[i] · x[i]`, accumulated one rounded product at a time in `i` order; `w` holds
    /// exactly `x.len()` values.
    #[inline(always)]
    fn dot(mut acc: f32, w: &[Self::Unit], x: &[f32]) -> f32 {
        for (wi, &xi) in Self::values(w).zip(x) {
            acc += wi * xi;
        }
        acc
    }
}

/// f32 weights read in place (see `SurrogateView::weights_f32`): each weight is one
/// floating-point load, with no byte assembly.
struct F32;
impl Element for F32 {
    type Unit = f32;
    const PER: usize = 1;
    #[inline(always)]
    fn values(u: &[f32]) -> impl Iterator<Item = f32> {
        u.iter().copied()
    }
    /// Four products per loop step, still added one at a time in order (same bits as the plain
    /// loop): fewer loop steps at `opt-level = "s"`, and at `opt-level = 3` it keeps LLVM from
    /// unrolling short rows into a long remainder ladder.
    #[inline(always)]
    fn dot(mut acc: f32, w: &[f32], x: &[f32]) -> f32 {
        let ((w4, w_rest), (x4, x_rest)) = (w.as_chunks::<4>(), x.as_chunks::<4>());
        for (&[w0, w1, w2, w3], &[x0, x1, x2, x3]) in w4.iter().zip(x4) {
            acc += w0 * x0;
            acc += w1 * x1;
            acc += w2 * x2;
            acc += w3 * x3;
        }
        for (wi, xi) in w_rest.iter().zip(x_rest) {
            acc += wi * xi;
        }
        acc
    }
}

/// f32 weights assembled from little-endian bytes at any address.
struct F32Le;
impl Element for F32Le {
    type Unit = u8;
    const PER: usize = 4;
    #[inline(always)]
    fn values(u: &[u8]) -> impl Iterator<Item = f32> {
        u.as_chunks::<4>().0.iter().map(|&b| f32::from_le_bytes(b))
    }
}

/// f16 weights from little-endian bytes, widened to f32.
struct F16Le;
impl Element for F16Le {
    type Unit = u8;
    const PER: usize = 2;
    #[inline(always)]
    fn values(u: &[u8]) -> impl Iterator<Item = f32> {
        u.as_chunks::<2>().0.iter().map(|&b| half::f16::from_bits(u16::from_le_bytes(b)).to_f32())
    }
}

/// The weight section as this evaluation reads it.
#[derive(Clone, Copy)]
enum Weights<'a> {
    F32(&'a [f32]),
    F32Le(&'a [u8]),
    F16Le(&'a [u8]),
}

impl<'a> Weights<'a> {
    /// In place as f32 where the view allows it (decided at parse), else the bytes.
    #[inline(always)]
    fn of(view: &SurrogateView<'a>) -> Self {
        match (view.weights_f32(), view.precision) {
            (Some(w), _) => Self::F32(w),
            (None, Precision::F32) => Self::F32Le(view.weight_bytes()),
            (None, Precision::F16) => Self::F16Le(view.weight_bytes()),
        }
    }

    /// `y = W·x + b` for layer `l` (the activation comes after, once for every element type).
    #[inline(always)]
    fn dense(self, l: &LayerShape, x: &[f32], y: &mut [f32]) {
        match self {
            Self::F32(s) => dense::<F32>(l.slices(s, F32::PER), x, y),
            Self::F32Le(s) => dense::<F32Le>(l.slices(s, F32Le::PER), x, y),
            Self::F16Le(s) => dense::<F16Le>(l.slices(s, F16Le::PER), x, y),
        }
    }

    /// [`Self::dense`] on a tile of rows.
    #[inline(always)]
    fn dense_tile(self, l: &LayerShape, x: &[[f32; TILE]], y: &mut [[f32; TILE]]) {
        match self {
            Self::F32(s) => dense_tile::<F32>(l.slices(s, F32::PER), x, y),
            Self::F32Le(s) => dense_tile::<F32Le>(l.slices(s, F32Le::PER), x, y),
            Self::F16Le(s) => dense_tile::<F16Le>(l.slices(s, F16Le::PER), x, y),
        }
    }
}

/// `y = W·x + b` for one layer; `w` holds one row of `x.len()` weights per output.
#[inline(always)]
fn dense<E: Element>((w, b): (&[E::Unit], &[E::Unit]), x: &[f32], y: &mut [f32]) {
    for ((yo, row), bias) in y.iter_mut().zip(w.chunks_exact(x.len() * E::PER)).zip(E::values(b)) {
        *yo = E::dot(bias, row, x);
    }
}

/// Rows per tile of [`SurrogateView::eval_batch`]: 8 f32 lanes fill one AVX register, two SSE
/// or NEON registers.
pub const TILE: usize = 8;

/// One layer on a tile of rows: `y[o][r] = b[o] + Σᵢ w[o][i] · x[i][r]`, summed in `i` order
/// exactly as [`dense`] does for one row.
#[inline(always)]
fn dense_tile<E: Element>((w, b): (&[E::Unit], &[E::Unit]), x: &[[f32; TILE]], y: &mut [[f32; TILE]]) {
    for ((yo, row), bias) in y.iter_mut().zip(w.chunks_exact(x.len() * E::PER)).zip(E::values(b)) {
        let mut acc = [bias; TILE];
        for (wv, xi) in E::values(row).zip(x) {
            for (a, xv) in acc.iter_mut().zip(xi) {
                *a += wv * xv;
            }
        }
        *yo = acc;
    }
}

/// Little-endian f32 values of a normalisation section.
#[inline(always)]
fn le_f32s(b: &[u8]) -> impl Iterator<Item = f32> {
    F32Le::values(b)
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

    /// Normalise, then per layer `dense` and the activation, then denormalise.
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
        // Both buffers in one array: one zeroing, not two.
        let mut scratch = [[0.0f32; W]; 2];
        let [a, h] = &mut scratch;
        // Ping-pong between the two buffers by swapping references, not contents.
        let (mut cur, mut next) = (a, h);
        let (scale, offset) = self.f32_pairs(self.layout.input_norm, n_in);
        for ((ai, &xi), (s, o)) in cur.iter_mut().zip(x).zip(le_f32s(scale).zip(le_f32s(offset))) {
            *ai = xi * s + o;
        }
        let weights = Weights::of(self);
        for l in self.layers() {
            // Widths are at most `max_width() <= W`: the `else` never runs on a validated view.
            let (Some(input), Some(output)) = (cur.get(..l.n_in), next.get_mut(..l.n_out)) else { break };
            weights.dense(&l, input, output);
            l.act.apply_all(output);
            core::mem::swap(&mut cur, &mut next);
        }
        let (scale, offset) = self.f32_pairs(self.layout.output_norm, n_out);
        for ((yo, &ao), (s, o)) in y.iter_mut().zip(cur.iter()).zip(le_f32s(scale).zip(le_f32s(offset))) {
            *yo = ao * s + o;
        }
        Ok(())
    }

    /// Evaluates a row-major batch: `xs` holds `k · n_in` values, `ys` receives `k · n_out`.
    ///
    /// Rows go through in tiles of [`TILE`]: each layer then runs one weight at a time against a
    /// whole tile (a short fixed-length loop the compiler turns into SIMD), with the same operation
    /// order per row as [`Self::eval`], so both give the same bits. Scratch: two `[[f32; TILE]; W]`
    /// buffers on the stack. With `std` on x86-64 the same code is also compiled for AVX2 and
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
        if !xs.len().is_multiple_of(n_in) {
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
        let mut scratch = [[[0.0f32; TILE]; W]; 2];
        let [a, h] = &mut scratch;
        let (in_scale, in_offset) = self.f32_pairs(self.layout.input_norm, n_in);
        let (out_scale, out_offset) = self.f32_pairs(self.layout.output_norm, n_out);
        let weights = Weights::of(self);
        for (xt, yt) in xs.chunks(TILE * n_in).zip(ys.chunks_mut(TILE * n_out)) {
            let t = xt.len() / n_in;
            let (mut cur, mut next) = (&mut *a, &mut *h);
            for (i, (ai, (s, o))) in cur.iter_mut().zip(le_f32s(in_scale).zip(le_f32s(in_offset))).enumerate() {
                for (r, v) in ai.iter_mut().enumerate() {
                    *v = if r < t { xt[r * n_in + i] * s + o } else { 0.0 };
                }
            }
            for l in self.layers() {
                let (Some(input), Some(output)) = (cur.get(..l.n_in), next.get_mut(..l.n_out)) else { break };
                weights.dense_tile(&l, input, output);
                l.act.apply_all(output.as_flattened_mut());
                core::mem::swap(&mut cur, &mut next);
            }
            for (o, (ao, (s, off))) in cur.iter().zip(le_f32s(out_scale).zip(le_f32s(out_offset))).enumerate() {
                for (r, v) in ao.iter().enumerate().take(t) {
                    yt[r * n_out + o] = v * s + off;
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

#[cfg(all(test, feature = "std"))]
mod tests {
    use crate::{Activation, Affine, Layer, Metadata, Precision, Surrogate, SurrogateView};

    /// A surrogate of the given widths with every part in use (normalisation, all activations),
    /// values from a fixed pseudo-random sequence.
    fn surrogate(widths: &[usize], seed: u32) -> Surrogate {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 8) as f32 / (1 << 24) as f32 * 3.0 - 1.5
        };
        let layers = Layer::chain(widths, |k| Activation::ALL[(k + seed as usize) % 4], |_| next());
        let (n_in, n_out) = (widths[0], widths[widths.len() - 1]);
        let mut affine =
            |n| Affine { scale: (0..n).map(|_| next()).collect(), offset: (0..n).map(|_| next()).collect() };
        let (input_norm, output_norm) = (affine(n_in), affine(n_out));
        let meta = Metadata { name: "t".into(), signature: "void f(void)".into(), source_hash: 0, export_error: 0.0 };
        Surrogate::new(meta, vec![(-2.0, 2.0); n_in], input_norm, output_norm, layers).unwrap()
    }

    /// The definition (docs/blob-format.md) in f32, one rounded operation at a time in the order
    /// the kernel promises, written independently of it; `stored` is what the blob holds of a value.
    fn definition(s: &Surrogate, x: &[f32], stored: impl Fn(f32) -> f32) -> Vec<f32> {
        let affine =
            |v: &[f32], a: &Affine| v.iter().zip(&a.scale).zip(&a.offset).map(|((v, s), o)| v * s + o).collect();
        let mut a: Vec<f32> = affine(x, &s.input_norm);
        for l in &s.layers {
            a = (0..l.n_out)
                .map(|o| {
                    let mut acc = stored(l.biases[o]);
                    for (i, ai) in a.iter().enumerate() {
                        acc += stored(l.weights[o * l.n_in + i]) * ai;
                    }
                    l.activation.apply(acc)
                })
                .collect();
        }
        affine(&a, &s.output_norm)
    }

    #[test]
    fn every_path_computes_the_definition_bit_for_bit() {
        let shapes: [&[usize]; 6] = [&[9, 8, 1], &[1, 1], &[3, 4, 2], &[5, 13, 7, 3], &[12, 16, 4], &[2, 6, 6, 6, 2]];
        for (k, widths) in shapes.iter().enumerate() {
            let s = surrogate(widths, k as u32 * 7 + 3);
            for precision in [Precision::F32, Precision::F16] {
                let stored = |v: f32| match precision {
                    Precision::F32 => v,
                    Precision::F16 => half::f16::from_f32(v).to_f32(),
                };
                let blob = s.to_blob(precision);
                let rows = 11;
                let xs: Vec<f32> = (0..rows * s.n_in()).map(|i| (i as f32 * 0.618).sin() * 1.9).collect();
                let want: Vec<f32> = xs.chunks(s.n_in()).flat_map(|x| definition(&s, x, stored)).collect();
                // The same blob at a 4-aligned address and at the three misaligned ones.
                let mut buf = vec![0u8; blob.len() + 8];
                let base = buf.as_ptr().align_offset(4);
                for shift in 0..4 {
                    let at = &mut buf[base + shift..base + shift + blob.len()];
                    at.copy_from_slice(&blob);
                    let v = SurrogateView::parse(at).unwrap();
                    let in_place = cfg!(target_endian = "little") && precision == Precision::F32 && shift == 0;
                    assert_eq!(v.weights_f32().is_some(), in_place, "{widths:?} {precision:?} shift {shift}");
                    let mut batch = vec![0.0; rows * s.n_out()];
                    v.eval_batch::<16>(&xs, &mut batch).unwrap();
                    for ((x, w), b) in xs.chunks(s.n_in()).zip(want.chunks(s.n_out())).zip(batch.chunks(s.n_out())) {
                        let mut y = vec![0.0; s.n_out()];
                        v.eval::<16>(x, &mut y).unwrap();
                        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&y), bits(w), "eval, {widths:?} {precision:?} shift {shift} x {x:?}");
                        assert_eq!(bits(b), bits(w), "eval_batch, {widths:?} {precision:?} shift {shift} x {x:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_view_keeps_what_parse_read() {
        let s = surrogate(&[5, 13, 7, 3], 1);
        let blob = s.to_blob(Precision::F32);
        let v = SurrogateView::parse(&blob).unwrap();
        assert_eq!((v.n_in(), v.n_out(), v.max_width()), (5, 3, 13));
        let shapes: Vec<_> = v.layers().map(|l| (l.n_in, l.n_out, l.act)).collect();
        let want: Vec<_> = s.layers.iter().map(|l| (l.n_in, l.n_out, l.activation)).collect();
        assert_eq!(shapes, want);
        for (k, l) in s.layers.iter().enumerate() {
            let (w, b) = v.layer_bytes(k);
            assert_eq!((w.len(), b.len()), (4 * l.weights.len(), 4 * l.biases.len()));
            assert_eq!(w[..4], l.weights[0].to_le_bytes());
            assert_eq!(b[b.len() - 4..], l.biases[l.n_out - 1].to_le_bytes());
        }
    }
}
