//! An owned surrogate, as the trainer produces it (feature `std`).

use crate::blob::{HEADER_LEN, Layout, MAGIC, MAX_LAYERS, MAX_WIDTH, Precision, SurrogateView, VERSION, pad4};
use crate::crc::crc32;
use crate::{Activation, BlobError, EvalError};

/// A per-dimension affine map `v ↦ v·scale + offset`.
#[derive(Debug, Clone, PartialEq)]
pub struct Affine {
    /// Multipliers, one per dimension.
    pub scale: Vec<f32>,
    /// Offsets, one per dimension.
    pub offset: Vec<f32>,
}

impl Affine {
    /// The identity on `n` dimensions.
    pub fn identity(n: usize) -> Self {
        Self { scale: vec![1.0; n], offset: vec![0.0; n] }
    }
    /// Dimensions.
    pub fn len(&self) -> usize {
        self.scale.len()
    }
    /// True for zero dimensions.
    pub fn is_empty(&self) -> bool {
        self.scale.is_empty()
    }
}

/// One dense layer: `y = activation(W·x + b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Inputs of the layer.
    pub n_in: usize,
    /// Outputs of the layer.
    pub n_out: usize,
    /// `n_out × n_in` weights, row-major (one row per output).
    pub weights: Vec<f32>,
    /// `n_out` biases.
    pub biases: Vec<f32>,
    /// Nonlinearity after the affine map.
    pub activation: Activation,
}

/// Which value [`Layer::chain`] asks its value source for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerParam {
    /// A weight of a layer with `fan_in` inputs and `fan_out` outputs.
    Weight {
        /// Inputs of the layer.
        fan_in: usize,
        /// Outputs of the layer.
        fan_out: usize,
    },
    /// A bias.
    Bias,
}

impl Layer {
    /// The layers `widths[0] → widths[1] → … → widths[last]`: layer `k` gets `activation(k)`, its
    /// weights (row by row) and then its biases from `value`, called in that order, so a seeded
    /// value source (an initialisation scheme, a test generator) always builds the same layers.
    pub fn chain(
        widths: &[usize],
        mut activation: impl FnMut(usize) -> Activation,
        mut value: impl FnMut(LayerParam) -> f32,
    ) -> Vec<Layer> {
        widths
            .windows(2)
            .enumerate()
            .map(|(k, w)| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let weights = (0..fan_in * fan_out).map(|_| value(LayerParam::Weight { fan_in, fan_out })).collect();
                let biases = (0..fan_out).map(|_| value(LayerParam::Bias)).collect();
                Layer { n_in: fan_in, n_out: fan_out, weights, biases, activation: activation(k) }
            })
            .collect()
    }
}

/// What a surrogate records about where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Program name (e.g. `sobel`).
    pub name: String,
    /// C signature of the function it replaces.
    pub signature: String,
    /// Hash of the C source (see [`source_hash`](Metadata::source_hash)).
    pub source_hash: u64,
    /// Test MSE measured at export; NaN if unknown.
    pub export_error: f32,
}

impl Metadata {
    /// Metadata with only a name.
    pub fn named(name: &str) -> Self {
        Self { name: name.to_owned(), signature: String::new(), source_hash: 0, export_error: f32::NAN }
    }

    /// FNV-1a 64 of a C source text: stable across platforms and builds.
    pub fn source_hash(source: &str) -> u64 {
        source.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
    }
}

/// Why a set of layers and maps is not a surrogate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurrogateError {
    /// No layer, or more than the blob format holds.
    #[error("a surrogate needs 1..={MAX_LAYERS} layers, got {0}")]
    LayerCount(usize),
    /// A width of zero or above the format's maximum.
    #[error("layer {layer} has width {width} (allowed: 1..={MAX_WIDTH})")]
    Width {
        /// Layer index.
        layer: usize,
        /// The width.
        width: usize,
    },
    /// Consecutive layers whose widths do not chain, or buffers of the wrong size.
    #[error("layer {layer}: {what}")]
    Shape {
        /// Layer index.
        layer: usize,
        /// What does not fit.
        what: String,
    },
    /// A normalisation or domain of the wrong length.
    #[error("{what} has {got} dimensions, the surrogate has {expected}")]
    Dims {
        /// Which part.
        what: &'static str,
        /// Expected count.
        expected: usize,
        /// Count given.
        got: usize,
    },
    /// A NaN or infinite weight, bias or normalisation value.
    #[error("{what} holds a non-finite value at index {index}")]
    NonFinite {
        /// Which part.
        what: String,
        /// Index inside it.
        index: usize,
    },
    /// Name or signature longer than the blob format holds (65535 bytes).
    #[error("{0} is longer than 65535 bytes")]
    TextTooLong(&'static str),
}

/// An owned surrogate: metadata, trained domain, normalisation and layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Surrogate {
    /// Where it came from.
    pub meta: Metadata,
    /// Trained domain per input: `(lo, hi)`.
    pub domain: Vec<(f32, f32)>,
    /// Raw inputs → network inputs.
    pub input_norm: Affine,
    /// Network outputs → raw outputs.
    pub output_norm: Affine,
    /// The layers, inputs first.
    pub layers: Vec<Layer>,
}

/// One layer's parts as [`Surrogate::from_layers`] takes them: `(n_in, n_out, weights, biases,
/// activation)`.
pub type LayerParts = (usize, usize, Vec<f32>, Vec<f32>, Activation);

impl Surrogate {
    /// Checks that the parts make a surrogate the blob format can hold.
    pub fn new(
        meta: Metadata,
        domain: Vec<(f32, f32)>,
        input_norm: Affine,
        output_norm: Affine,
        layers: Vec<Layer>,
    ) -> Result<Self, SurrogateError> {
        if layers.is_empty() || layers.len() > MAX_LAYERS {
            return Err(SurrogateError::LayerCount(layers.len()));
        }
        for (k, l) in layers.iter().enumerate() {
            for width in [l.n_in, l.n_out] {
                if width == 0 || width > MAX_WIDTH {
                    return Err(SurrogateError::Width { layer: k, width });
                }
            }
            if k > 0 && layers[k - 1].n_out != l.n_in {
                let what = format!("takes {} inputs but layer {} gives {}", l.n_in, k - 1, layers[k - 1].n_out);
                return Err(SurrogateError::Shape { layer: k, what });
            }
            if l.weights.len() != l.n_in * l.n_out || l.biases.len() != l.n_out {
                let what = format!(
                    "{}×{} layer has {} weights and {} biases",
                    l.n_out,
                    l.n_in,
                    l.weights.len(),
                    l.biases.len()
                );
                return Err(SurrogateError::Shape { layer: k, what });
            }
            for (what, v) in [("weights", &l.weights), ("biases", &l.biases)] {
                if let Some(index) = v.iter().position(|x| !x.is_finite()) {
                    return Err(SurrogateError::NonFinite { what: format!("layer {k} {what}"), index });
                }
            }
        }
        let (n_in, n_out) = (layers[0].n_in, layers[layers.len() - 1].n_out);
        for (what, expected, got) in [
            ("input domain", n_in, domain.len()),
            ("input normalisation scale", n_in, input_norm.scale.len()),
            ("input normalisation offset", n_in, input_norm.offset.len()),
            ("output normalisation scale", n_out, output_norm.scale.len()),
            ("output normalisation offset", n_out, output_norm.offset.len()),
        ] {
            if expected != got {
                return Err(SurrogateError::Dims { what, expected, got });
            }
        }
        for (what, v) in [
            ("input normalisation scale", &input_norm.scale),
            ("input normalisation offset", &input_norm.offset),
            ("output normalisation scale", &output_norm.scale),
            ("output normalisation offset", &output_norm.offset),
        ] {
            if let Some(index) = v.iter().position(|x| !x.is_finite()) {
                return Err(SurrogateError::NonFinite { what: what.to_owned(), index });
            }
        }
        if meta.name.len() > u16::MAX as usize {
            return Err(SurrogateError::TextTooLong("name"));
        }
        if meta.signature.len() > u16::MAX as usize {
            return Err(SurrogateError::TextTooLong("signature"));
        }
        Ok(Self { meta, domain, input_norm, output_norm, layers })
    }

    /// A surrogate from `(n_in, n_out, weights, biases, activation)` layers, with identity
    /// normalisation and an unbounded domain.
    pub fn from_layers(name: &str, layers: &[LayerParts]) -> Result<Self, SurrogateError> {
        let layers: Vec<Layer> = layers
            .iter()
            .map(|(n_in, n_out, w, b, a)| Layer {
                n_in: *n_in,
                n_out: *n_out,
                weights: w.clone(),
                biases: b.clone(),
                activation: *a,
            })
            .collect();
        let n_in = layers.first().map_or(0, |l| l.n_in);
        let n_out = layers.last().map_or(0, |l| l.n_out);
        Self::new(
            Metadata::named(name),
            vec![(f32::NEG_INFINITY, f32::INFINITY); n_in],
            Affine::identity(n_in),
            Affine::identity(n_out),
            layers,
        )
    }

    /// Inputs.
    pub fn n_in(&self) -> usize {
        self.layers[0].n_in
    }
    /// Outputs.
    pub fn n_out(&self) -> usize {
        self.layers[self.layers.len() - 1].n_out
    }
    /// Widths `n_in, hidden…, n_out`.
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(self.n_in()).chain(self.layers.iter().map(|l| l.n_out)).collect()
    }

    /// Serialises to the `.cpn` format (see [`crate::blob`]).
    pub fn to_blob(&self, precision: Precision) -> Vec<u8> {
        let widths = self.widths();
        let n_layers = self.layers.len();
        let (name, sig) = (self.meta.name.as_bytes(), self.meta.signature.as_bytes());
        let layout = Layout::compute(n_layers, name.len(), sig.len(), precision, |i| widths[i]);
        let mut b = vec![0u8; layout.total_len()];
        b[0..4].copy_from_slice(&MAGIC);
        b[4..6].copy_from_slice(&VERSION.to_le_bytes());
        let flags: u16 = if precision == Precision::F16 { 1 } else { 0 };
        b[6..8].copy_from_slice(&flags.to_le_bytes());
        b[8..10].copy_from_slice(&(n_layers as u16).to_le_bytes());
        b[10..12].copy_from_slice(&(name.len() as u16).to_le_bytes());
        b[12..14].copy_from_slice(&(sig.len() as u16).to_le_bytes());
        b[16..20].copy_from_slice(&(layout.total_len() as u32).to_le_bytes());
        b[20..24].copy_from_slice(&self.meta.export_error.to_le_bytes());
        b[24..32].copy_from_slice(&self.meta.source_hash.to_le_bytes());
        debug_assert_eq!(layout.widths, HEADER_LEN);
        for (i, &w) in widths.iter().enumerate() {
            b[layout.widths + 2 * i..][..2].copy_from_slice(&(w as u16).to_le_bytes());
        }
        for (k, l) in self.layers.iter().enumerate() {
            b[layout.activations + k] = l.activation.code();
        }
        b[layout.name..][..name.len()].copy_from_slice(name);
        b[layout.signature..][..sig.len()].copy_from_slice(sig);
        let mut put_f32s = |off: usize, vals: &mut dyn Iterator<Item = f32>| {
            for (i, v) in vals.enumerate() {
                b[off + 4 * i..][..4].copy_from_slice(&v.to_le_bytes());
            }
        };
        put_f32s(layout.domain, &mut self.domain.iter().map(|d| d.0).chain(self.domain.iter().map(|d| d.1)));
        put_f32s(layout.input_norm, &mut self.input_norm.scale.iter().chain(&self.input_norm.offset).copied());
        put_f32s(layout.output_norm, &mut self.output_norm.scale.iter().chain(&self.output_norm.offset).copied());
        let mut off = layout.weights;
        for l in &self.layers {
            for &v in l.weights.iter().chain(&l.biases) {
                match precision {
                    Precision::F32 => b[off..off + 4].copy_from_slice(&v.to_le_bytes()),
                    Precision::F16 => b[off..off + 2].copy_from_slice(&half::f16::from_f32(v).to_bits().to_le_bytes()),
                }
                off += precision.bytes();
            }
            off = pad4(off);
        }
        debug_assert_eq!(off, layout.crc);
        let crc = crc32(&b[..layout.crc]);
        b[layout.crc..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Reads a blob back into an owned surrogate (f16 weights are widened).
    pub fn from_blob(bytes: &[u8]) -> Result<Self, BlobError> {
        Ok(Self::from_view(&SurrogateView::parse(bytes)?))
    }

    /// Copies a validated view into an owned surrogate.
    pub fn from_view(v: &SurrogateView<'_>) -> Self {
        let (n_in, n_out) = (v.n_in(), v.n_out());
        let layers = (0..v.n_layers())
            .map(|k| {
                let (w, b) = v.layer_bytes(k);
                let load = |bytes: &[u8]| -> Vec<f32> {
                    match v.precision() {
                        Precision::F32 => {
                            bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
                        }
                        Precision::F16 => bytes
                            .chunks_exact(2)
                            .map(|c| half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32())
                            .collect(),
                    }
                };
                Layer {
                    n_in: v.width(k),
                    n_out: v.width(k + 1),
                    weights: load(w),
                    biases: load(b),
                    activation: v.activation(k),
                }
            })
            .collect();
        let (is, io): (Vec<f32>, Vec<f32>) = (0..n_in).map(|i| v.input_norm(i)).unzip();
        let (os, oo): (Vec<f32>, Vec<f32>) = (0..n_out).map(|o| v.output_norm(o)).unzip();
        Self {
            meta: Metadata {
                name: v.name().to_owned(),
                signature: v.signature().to_owned(),
                source_hash: v.source_hash(),
                export_error: v.export_error(),
            },
            domain: (0..n_in).map(|i| v.domain(i)).collect(),
            input_norm: Affine { scale: is, offset: io },
            output_norm: Affine { scale: os, offset: oo },
            layers,
        }
    }

    /// Rust source of the compile-time path (see [`crate::fixed`]): `static` weight arrays and a
    /// `pub fn eval(x: &[f32; N_IN]) -> [f32; N_OUT]` computing exactly what the kernel computes
    /// on the f32 blob. Written by `compnet export --rust`.
    pub fn to_rust_module(&self) -> String {
        use std::fmt::Write as _;
        let list = |v: &[f32]| v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ");
        let mut s = String::new();
        let _ = writeln!(
            s,
            "//! Surrogate `{}` as constants: generated by `compnet export --rust`; do not edit.",
            self.meta.name
        );
        let _ = writeln!(s, "//!");
        let _ = writeln!(s, "//! Replaces `{}` (source hash {:#018x}).", self.meta.signature, self.meta.source_hash);
        let _ = writeln!(s, "#![allow(clippy::excessive_precision, clippy::unreadable_literal)]\n");
        let _ = writeln!(s, "use compnet_runtime::fixed::{{affine, dense}};");
        let _ = writeln!(s, "use compnet_runtime::Activation;\n");
        let (n_in, n_out) = (self.n_in(), self.n_out());
        let _ = writeln!(
            s,
            "/// Inputs.\npub const N_IN: usize = {n_in};\n/// Outputs.\npub const N_OUT: usize = {n_out};"
        );
        let _ = writeln!(s, "/// Trained domain per input: `(lo, hi)`.");
        let dom = self.domain.iter().map(|(a, b)| format!("({a:?}, {b:?})")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(s, "pub static DOMAIN: [(f32, f32); {n_in}] = [{dom}];");
        let _ = writeln!(s, "static IN_SCALE: [f32; {n_in}] = [{}];", list(&self.input_norm.scale));
        let _ = writeln!(s, "static IN_OFFSET: [f32; {n_in}] = [{}];", list(&self.input_norm.offset));
        let _ = writeln!(s, "static OUT_SCALE: [f32; {n_out}] = [{}];", list(&self.output_norm.scale));
        let _ = writeln!(s, "static OUT_OFFSET: [f32; {n_out}] = [{}];", list(&self.output_norm.offset));
        for (k, l) in self.layers.iter().enumerate() {
            let rows = l.weights.chunks(l.n_in).map(|r| format!("[{}]", list(r))).collect::<Vec<_>>().join(",\n    ");
            let _ = writeln!(s, "static W{k}: [[f32; {}]; {}] = [\n    {rows},\n];", l.n_in, l.n_out);
            let _ = writeln!(s, "static B{k}: [f32; {}] = [{}];", l.n_out, list(&l.biases));
        }
        let _ = writeln!(s, "\n/// Evaluates the surrogate on raw inputs.\n#[inline]");
        let _ = writeln!(s, "pub fn eval(x: &[f32; N_IN]) -> [f32; N_OUT] {{");
        let _ = writeln!(s, "    let a = affine(x, &IN_SCALE, &IN_OFFSET);");
        for (k, l) in self.layers.iter().enumerate() {
            let act = match l.activation {
                Activation::Identity => "Identity",
                Activation::Sigmoid => "Sigmoid",
                Activation::Tanh => "Tanh",
                Activation::Relu => "Relu",
            };
            let _ = writeln!(s, "    let a = dense(&W{k}, &B{k}, &a, Activation::{act});");
        }
        let _ = writeln!(s, "    affine(&a, &OUT_SCALE, &OUT_OFFSET)\n}}");
        s
    }

    /// Evaluates a row-major batch through the runtime's kernel (serialising once, f32).
    pub fn eval_batch(&self, xs: &[f32]) -> Result<Vec<f32>, EvalError> {
        let blob = self.to_blob(Precision::F32);
        let view = SurrogateView::parse(&blob).expect("a validated surrogate serialises to a valid blob");
        view.eval_rows(xs)
    }
}

impl SurrogateView<'_> {
    /// Evaluates any number of rows (`xs` row-major, a multiple of `n_in` values) into a new
    /// vector: the tiled batch kernel with a 256-wide scratch, or row by row for wider surrogates.
    pub fn eval_rows(&self, xs: &[f32]) -> Result<Vec<f32>, EvalError> {
        let n_in = self.n_in();
        if !xs.len().is_multiple_of(n_in) {
            return Err(EvalError::InputLen { expected: n_in, got: xs.len() % n_in });
        }
        let mut ys = vec![0.0; xs.len() / n_in * self.n_out()];
        if self.max_width() <= 256 {
            self.eval_batch::<256>(xs, &mut ys)?;
        } else {
            // Wider than the tiled scratch worth putting on a thread's stack: one row at a time.
            for (x, y) in xs.chunks_exact(n_in).zip(ys.chunks_exact_mut(self.n_out())) {
                self.eval::<MAX_WIDTH>(x, y)?;
            }
        }
        Ok(ys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Layer::chain` asks for each layer's weights row by row, then its biases, in layer order.
    #[test]
    fn chain_fills_layers_in_order() {
        let mut n = 0.0;
        let mut asked = Vec::new();
        let layers = Layer::chain(
            &[2, 3, 1],
            |k| if k == 0 { Activation::Tanh } else { Activation::Identity },
            |p| {
                asked.push(p);
                n += 1.0;
                n
            },
        );
        assert_eq!(layers.len(), 2);
        assert_eq!((layers[0].n_in, layers[0].n_out, layers[0].activation), (2, 3, Activation::Tanh));
        assert_eq!(layers[0].weights, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(layers[0].biases, [7.0, 8.0, 9.0]);
        assert_eq!((layers[1].weights.as_slice(), layers[1].biases.as_slice()), (&[10.0, 11.0, 12.0][..], &[13.0][..]));
        assert_eq!(asked[0], LayerParam::Weight { fan_in: 2, fan_out: 3 });
        assert_eq!(asked[6], LayerParam::Bias);
        assert_eq!(asked[9], LayerParam::Weight { fan_in: 3, fan_out: 1 });
    }

    /// A 3→4→2 surrogate with every feature in use: normalisation, two activations, metadata.
    fn sample() -> Surrogate {
        let l1 = Layer {
            n_in: 3,
            n_out: 4,
            weights: (0..12).map(|i| (i as f32 * 0.37).sin()).collect(),
            biases: vec![0.1, -0.2, 0.3, 0.0],
            activation: Activation::Sigmoid,
        };
        let l2 = Layer {
            n_in: 4,
            n_out: 2,
            weights: (0..8).map(|i| (i as f32 * 0.91).cos()).collect(),
            biases: vec![0.05, -0.5],
            activation: Activation::Identity,
        };
        Surrogate::new(
            Metadata {
                name: "sample".into(),
                signature: "void f(float a, float b, float c, float *y, float *z)".into(),
                source_hash: 0x0123_4567_89ab_cdef,
                export_error: 1.5e-3,
            },
            vec![(-1.0, 1.0), (0.0, 2.0), (-3.0, 3.0)],
            Affine { scale: vec![2.0, 0.5, 1.0], offset: vec![0.0, -1.0, 0.25] },
            Affine { scale: vec![3.0, 0.1], offset: vec![-1.0, 2.0] },
            vec![l1, l2],
        )
        .unwrap()
    }

    /// Straightforward f64 evaluation of the surrogate's definition, independent of the kernel.
    fn reference(s: &Surrogate, x: &[f32]) -> Vec<f64> {
        let mut a: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| v as f64 * s.input_norm.scale[i] as f64 + s.input_norm.offset[i] as f64)
            .collect();
        for l in &s.layers {
            a = (0..l.n_out)
                .map(|o| {
                    let z: f64 =
                        l.biases[o] as f64 + (0..l.n_in).map(|i| l.weights[o * l.n_in + i] as f64 * a[i]).sum::<f64>();
                    match l.activation {
                        Activation::Identity => z,
                        Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
                        Activation::Tanh => z.tanh(),
                        Activation::Relu => z.max(0.0),
                    }
                })
                .collect();
        }
        a.iter().enumerate().map(|(o, &v)| v * s.output_norm.scale[o] as f64 + s.output_norm.offset[o] as f64).collect()
    }

    #[test]
    fn blob_round_trips_exactly_in_f32() {
        let s = sample();
        let blob = s.to_blob(Precision::F32);
        assert_eq!(blob.len() % 4, 0);
        let back = Surrogate::from_blob(&blob).unwrap();
        assert_eq!(back, s);
        let v = SurrogateView::parse(&blob).unwrap();
        assert_eq!((v.n_in(), v.n_out(), v.n_layers(), v.max_width()), (3, 2, 2, 4));
        assert_eq!(v.name(), "sample");
        assert_eq!(v.source_hash(), 0x0123_4567_89ab_cdef);
        assert_eq!(v.domain(1), (0.0, 2.0));
    }

    #[test]
    fn kernel_matches_f64_reference() {
        let s = sample();
        let xs: Vec<f32> = (0..300).map(|i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0).collect();
        let ys = s.eval_batch(&xs).unwrap();
        for (x, y) in xs.chunks(3).zip(ys.chunks(2)) {
            let r = reference(&s, x);
            for (a, b) in y.iter().zip(&r) {
                assert!((*a as f64 - b).abs() < 1e-5, "{a} vs {b} at {x:?}");
            }
        }
    }

    #[test]
    fn batch_equals_single_calls_bit_for_bit() {
        for precision in [Precision::F32, Precision::F16] {
            let blob = sample().to_blob(precision);
            let v = SurrogateView::parse(&blob).unwrap();
            for rows in [1usize, 7, 8, 9, 37] {
                let xs: Vec<f32> = (0..rows * 3).map(|i| (i as f32 * 0.77).sin() * 2.5).collect();
                let mut batch = vec![0.0; rows * 2];
                v.eval_batch::<8>(&xs, &mut batch).unwrap();
                for (x, y) in xs.chunks(3).zip(batch.chunks(2)) {
                    let mut single = [0.0; 2];
                    v.eval::<8>(x, &mut single).unwrap();
                    assert_eq!(y, single);
                }
            }
        }
    }

    #[test]
    fn f16_blob_is_close_to_f32() {
        let s = sample();
        let blob = s.to_blob(Precision::F16);
        let v = SurrogateView::parse(&blob).unwrap();
        assert_eq!(v.precision(), Precision::F16);
        let x = [0.3f32, 1.2, -2.0];
        let mut y = [0.0; 2];
        v.eval::<8>(&x, &mut y).unwrap();
        let r = reference(&s, &x);
        // f16 has an 11-bit significand: relative weight error ≤ 2⁻¹¹; outputs are scaled by ≤ 3.
        for (a, b) in y.iter().zip(&r) {
            assert!((*a as f64 - b).abs() < 2e-2, "{a} vs {b}");
        }
    }

    #[test]
    fn every_corruption_is_an_error() {
        let blob = sample().to_blob(Precision::F32);
        for cut in 0..blob.len() {
            assert!(SurrogateView::parse(&blob[..cut]).is_err(), "truncated to {cut} bytes parsed");
        }
        for i in 0..blob.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = blob.clone();
                bad[i] ^= bit;
                assert!(SurrogateView::parse(&bad).is_err(), "flip of byte {i} bit {bit:#x} parsed");
            }
        }
        let mut bad = blob.clone();
        bad[0] = b'X';
        assert_eq!(SurrogateView::parse(&bad).unwrap_err(), BlobError::BadMagic([b'X', b'P', b'N', 0]));
    }

    #[test]
    fn eval_reports_size_errors() {
        let blob = sample().to_blob(Precision::F32);
        let v = SurrogateView::parse(&blob).unwrap();
        let mut y = [0.0; 2];
        assert_eq!(v.eval::<8>(&[1.0, 2.0], &mut y), Err(EvalError::InputLen { expected: 3, got: 2 }));
        assert_eq!(v.eval::<8>(&[1.0, 2.0, 3.0], &mut y[..1]), Err(EvalError::OutputLen { expected: 2, got: 1 }));
        assert_eq!(v.eval::<3>(&[1.0, 2.0, 3.0], &mut y), Err(EvalError::WidthExceeded { needed: 4, max: 3 }));
    }

    #[test]
    fn domain_guard_names_the_input() {
        let blob = sample().to_blob(Precision::F32);
        let v = SurrogateView::parse(&blob).unwrap();
        assert_eq!(v.out_of_domain(&[0.0, 1.0, 2.0]), None);
        let o = v.out_of_domain(&[0.0, 2.5, 2.0]).unwrap();
        assert_eq!((o.input, o.value, o.lo, o.hi), (1, 2.5, 0.0, 2.0));
        assert_eq!(v.out_of_domain(&[f32::NAN, 1.0, 0.0]).unwrap().input, 0);
    }

    #[test]
    fn guard_falls_back_exactly_outside_the_domain() {
        let blob = sample().to_blob(Precision::F32);
        let v = SurrogateView::parse(&blob).unwrap();
        let mut y = [0.0; 2];
        let path = v.eval_or_fallback::<8>(&[0.5, 1.0, 0.0], &mut y, |_, _| panic!("inside the domain")).unwrap();
        assert_eq!(path, crate::Path::Surrogate);
        let mut direct = [0.0; 2];
        v.eval::<8>(&[0.5, 1.0, 0.0], &mut direct).unwrap();
        assert_eq!(y, direct);
        let path = v.eval_or_fallback::<8>(&[0.5, 1.0, -3.5], &mut y, |x, y| y.copy_from_slice(&[x[2], 42.0])).unwrap();
        assert!(matches!(path, crate::Path::Fallback(o) if o.input == 2 && o.value == -3.5));
        assert_eq!(y, [-3.5, 42.0]);
    }

    #[test]
    fn invalid_parts_are_rejected() {
        let mut s = sample();
        s.layers[1].n_in = 5;
        let e = Surrogate::new(
            s.meta.clone(),
            s.domain.clone(),
            s.input_norm.clone(),
            s.output_norm.clone(),
            s.layers.clone(),
        );
        assert!(matches!(e, Err(SurrogateError::Shape { layer: 1, .. })));
        let mut s = sample();
        s.layers[0].weights[3] = f32::NAN;
        let e = Surrogate::new(
            s.meta.clone(),
            s.domain.clone(),
            s.input_norm.clone(),
            s.output_norm.clone(),
            s.layers.clone(),
        );
        assert!(matches!(e, Err(SurrogateError::NonFinite { index: 3, .. })));
    }
}
