//! The covering architecture: the one surrogate shape a CompNet emits weights for.
//!
//! A program with fewer inputs than the covering shape gets zeros on the missing inputs (their
//! first-layer weights then have no effect); a program with fewer outputs ignores the extra
//! outputs, which are masked out of the loss. The flat parameter vector holds, layer by layer,
//! the `[n_in, n_out]` weights (row-major, burn's `Linear` layout) and then the `n_out` biases.

use anyhow::ensure;
use compnet_datasets::IoPairs;
use compnet_datasets::exestack::pipeline::{BuildConfig, input_domain};
use compnet_datasets::signature::Signature;
use compnet_runtime::{Activation, Affine, Layer, Metadata, Surrogate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The covering surrogate shape: `n_in → hidden… → n_out`, `activation` on hidden layers, a
/// linear output layer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoveringShape {
    /// Inputs covered (programs with more cannot be compiled by this CompNet).
    pub n_in: usize,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Outputs covered.
    pub n_out: usize,
    /// Hidden activation name (`sigmoid`, `tanh`, `relu`).
    pub activation: String,
}

/// Where one layer's weights and biases sit in the flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSlots {
    /// Layer inputs.
    pub n_in: usize,
    /// Layer outputs.
    pub n_out: usize,
    /// Offset of the `[n_in, n_out]` weights.
    pub weights: usize,
    /// Offset of the `n_out` biases.
    pub biases: usize,
}

impl Default for CoveringShape {
    /// 18 inputs (jmeint's two triangles; every ExeStack program built so far), two sigmoid
    /// layers of 32, 8 outputs.
    fn default() -> Self {
        Self { n_in: 18, hidden: vec![32, 32], n_out: 8, activation: "sigmoid".into() }
    }
}

impl CoveringShape {
    /// Parses `n_in,h1,…,n_out` (at least one hidden width).
    pub fn parse(spec: &str, activation: &str) -> anyhow::Result<Self> {
        let widths: Vec<usize> = spec
            .split(',')
            .map(|w| w.trim().parse::<usize>().map_err(|_| anyhow::anyhow!("covering width {w:?} is not a number")))
            .collect::<anyhow::Result<_>>()?;
        ensure!(
            widths.len() >= 3 && widths.iter().all(|&w| w > 0),
            "covering shape {spec:?} must be n_in,hidden…,n_out with positive widths and at least one hidden layer"
        );
        let shape = Self {
            n_in: widths[0],
            hidden: widths[1..widths.len() - 1].to_vec(),
            n_out: widths[widths.len() - 1],
            activation: activation.to_owned(),
        };
        shape.hidden_activation()?;
        Ok(shape)
    }

    /// `n_in, hidden…, n_out`.
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(self.n_in).chain(self.hidden.iter().copied()).chain([self.n_out]).collect()
    }

    /// The hidden activation, parsed.
    pub fn hidden_activation(&self) -> anyhow::Result<Activation> {
        Activation::from_name(&self.activation)
            .filter(|a| *a != Activation::Identity)
            .ok_or_else(|| anyhow::anyhow!("covering activation {:?}: use sigmoid, tanh or relu", self.activation))
    }

    /// Every layer's slots in the flat vector.
    pub fn layers(&self) -> Vec<LayerSlots> {
        let widths = self.widths();
        let mut offset = 0;
        widths
            .windows(2)
            .map(|w| {
                let slots = LayerSlots { n_in: w[0], n_out: w[1], weights: offset, biases: offset + w[0] * w[1] };
                offset = slots.biases + w[1];
                slots
            })
            .collect()
    }

    /// Length of the flat parameter vector.
    pub fn n_params(&self) -> usize {
        self.layers().last().map_or(0, |l| l.biases + l.n_out)
    }

    /// Whether a program with `n_in` inputs and `n_out` outputs fits.
    pub fn covers(&self, n_in: usize, n_out: usize) -> bool {
        (1..=self.n_in).contains(&n_in) && (1..=self.n_out).contains(&n_out)
    }

    /// Standard deviation of a freshly initialised parameter at each flat position: Xavier's
    /// `sqrt(2 / (fan_in + fan_out))` for weights, 0 for biases. CompNet's parameter head is
    /// initialised so that each generated parameter has this spread (see `network`).
    pub fn init_std(&self) -> Vec<f32> {
        let mut std = vec![0.0; self.n_params()];
        for l in self.layers() {
            let s = (2.0 / (l.n_in + l.n_out) as f32).sqrt();
            std[l.weights..l.biases].fill(s);
        }
        std
    }

    /// Appends the pairs `idx` of `pairs` in this shape's layout: inputs mapped from `domain`
    /// onto [−1, 1] and zero-padded to `n_in`, outputs zero-padded to `n_out`.
    pub fn push_pairs(
        &self,
        pairs: &IoPairs,
        idx: impl IntoIterator<Item = usize>,
        domain: &[(f32, f32)],
        x: &mut Vec<f32>,
        y: &mut Vec<f32>,
    ) {
        let norm = domain_norm(domain);
        for k in idx {
            let (a, b) = (pairs.input(k), pairs.output(k));
            x.extend((0..self.n_in).map(|i| a.get(i).map_or(0.0, |v| v * norm.scale[i] + norm.offset[i])));
            y.extend((0..self.n_out).map(|o| b.get(o).copied().unwrap_or(0.0)));
        }
    }

    /// Rewrites the first layer of `params` so that, reading inputs normalised from the domain
    /// `to`, it computes what `params` computes reading them normalised from `from`: the same raw
    /// input gives the same output. A CompNet writes a surrogate for the frame it was trained in
    /// (each input normalised from the harness's domain of its type, [−1, 1] for floating point:
    /// [`training_frame`]), not for the domain a user gives (kmeans on [0, 1]); the parameters are
    /// moved to that domain's frame by this before anything reads them there. Padded inputs (zero
    /// in both frames) are left alone.
    pub fn reframe(&self, params: &mut [f32], from: &[(f32, f32)], to: &[(f32, f32)]) {
        assert_eq!(from.len(), to.len(), "reframing between domains of different input counts");
        let first = self.layers()[0];
        let (f, t) = (domain_norm(from), domain_norm(to));
        for i in 0..from.len() {
            // z_from = a·z_to + b, from z = scale·x + offset in each frame.
            let a = f.scale[i] / t.scale[i];
            let b = f.offset[i] - a * t.offset[i];
            for o in 0..first.n_out {
                let w = params[first.weights + i * first.n_out + o];
                params[first.biases + o] += w * b;
                params[first.weights + i * first.n_out + o] = w * a;
            }
        }
    }

    /// `n_out` loss weights for a program with `real` outputs: 1 on them, 0 on the padding.
    pub fn output_mask(&self, real: usize) -> impl Iterator<Item = f32> {
        (0..self.n_out).map(move |o| if o < real { 1.0 } else { 0.0 })
    }

    /// A random initialisation (Xavier-uniform weights, zero biases): the RND baseline.
    pub fn random_params(&self, seed: u64) -> Vec<f32> {
        self.random_params_with(seed, RandomInit::XAVIER)
    }

    /// A random initialisation drawn as `init` says. The weights are [`random_params`]' draw of the
    /// same seed times `init.weight_scale`, so a scaled control differs from RND in scale alone.
    ///
    /// [`random_params`]: CoveringShape::random_params
    pub fn random_params_with(&self, seed: u64, init: RandomInit) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut params: Vec<f32> = self
            .init_std()
            .iter()
            .map(|&s| if s > 0.0 { uniform_with_std(&mut rng, s) * init.weight_scale } else { 0.0 })
            .collect();
        let layers = self.layers();
        for l in &layers[..layers.len() - 1] {
            params[l.biases..l.biases + l.n_out].fill(init.hidden_bias);
        }
        params
    }

    /// The runtime surrogate a flat parameter vector stands for, cropped to a program with
    /// `domain.len()` inputs and `n_out` outputs. Inputs are mapped from their domain onto
    /// [−1, 1] (the scale CompNet sees during training); outputs are raw.
    pub fn surrogate(
        &self,
        params: &[f32],
        meta: Metadata,
        domain: &[(f32, f32)],
        n_out: usize,
    ) -> anyhow::Result<Surrogate> {
        let n_in = domain.len();
        ensure!(
            params.len() == self.n_params(),
            "{} parameters for a covering shape {:?} that needs {}",
            params.len(),
            self.widths(),
            self.n_params()
        );
        ensure!(
            self.covers(n_in, n_out),
            "a function with {n_in} inputs and {n_out} outputs is outside the covering shape {:?}",
            self.widths()
        );
        ensure!(params.iter().all(|p| p.is_finite()), "the generated parameters contain NaN or infinity");
        let hidden = self.hidden_activation()?;
        let slots = self.layers();
        let last = slots.len() - 1;
        let layers = slots
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let rows = if k == 0 { n_in } else { s.n_in };
                let cols = if k == last { n_out } else { s.n_out };
                let w = &params[s.weights..s.biases];
                Layer {
                    n_in: rows,
                    n_out: cols,
                    weights: (0..cols).flat_map(|o| (0..rows).map(move |i| w[i * s.n_out + o])).collect(),
                    biases: params[s.biases..s.biases + cols].to_vec(),
                    activation: if k == last { Activation::Identity } else { hidden },
                }
            })
            .collect();
        Ok(Surrogate::new(meta, domain.to_vec(), domain_norm(domain), Affine::identity(n_out), layers)?)
    }
}

/// How a random surrogate is drawn: the RND baseline ([`RandomInit::XAVIER`]) or a control that
/// scales it. A start with small weights and negative hidden biases closes part of CPN's lead over
/// RND at 100 % (docs/compnet.md, "What the 10 and 100 % rows measure"), so `compnet eval
/// --rnd-scale --rnd-bias` can put that control in RND's place.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RandomInit {
    /// Multiplies the Xavier-uniform draw (1: Xavier, the RND baseline).
    pub weight_scale: f32,
    /// Every hidden unit's bias (0 for RND); the output layer's biases stay 0.
    pub hidden_bias: f32,
}

impl RandomInit {
    /// Xavier-uniform weights, zero biases: the RND baseline.
    pub const XAVIER: RandomInit = RandomInit { weight_scale: 1.0, hidden_bias: 0.0 };
}

/// One draw of a fresh weight: uniform on ±√3·`std`, whose standard deviation is `std` (the
/// covering's Xavier initialisation, and the fresh weights of recycled units).
pub fn uniform_with_std(rng: &mut impl Rng, std: f32) -> f32 {
    rng.random_range(-1.0..1.0) * std * 3f32.sqrt()
}

/// The domain each input of `signature` had in the data CompNets train on: the ExeStack
/// harness's sampling domain of its type ([−1, 1] for floating point, the sampled integers for
/// integer types). A compiled surrogate is written for inputs normalised from this frame.
pub fn training_frame(signature: &Signature) -> Vec<(f32, f32)> {
    input_domain(signature, &BuildConfig::default())
}

/// The affine map taking each input's domain `(lo, hi)` onto [−1, 1].
pub fn domain_norm(domain: &[(f32, f32)]) -> Affine {
    let (scale, offset) = domain
        .iter()
        .map(|&(lo, hi)| {
            let half = ((hi - lo) / 2.0).max(f32::MIN_POSITIVE);
            (1.0 / half, -(lo + hi) / 2.0 / half)
        })
        .unzip();
    Affine { scale, offset }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cropped runtime surrogate computes what the padded covering MLP computes on the
    /// same inputs (zeros in the padded inputs), evaluated here independently in f64.
    #[test]
    fn cropped_surrogate_matches_the_padded_covering_mlp() {
        let shape = CoveringShape { n_in: 5, hidden: vec![4, 3], n_out: 3, activation: "tanh".into() };
        assert_eq!(shape.n_params(), 5 * 4 + 4 + 4 * 3 + 3 + 3 * 3 + 3);
        let params: Vec<f32> = (0..shape.n_params()).map(|k| ((k * 37 % 23) as f32 - 11.0) / 10.0).collect();
        let domain = [(-2.0f32, 2.0), (0.0, 1.0)];
        let s = shape.surrogate(&params, Metadata::named("t"), &domain, 2).unwrap();
        for x in [[0.3f32, 0.9], [-1.7, 0.1], [2.0, 0.5]] {
            // Reference: normalise, pad to 5 inputs, run the full covering MLP, keep 2 outputs.
            let mut h: Vec<f64> = vec![x[0] as f64 / 2.0, x[1] as f64 * 2.0 - 1.0, 0.0, 0.0, 0.0];
            for (k, l) in shape.layers().iter().enumerate() {
                h = (0..l.n_out)
                    .map(|o| {
                        let z = params[l.biases + o] as f64
                            + (0..l.n_in).map(|i| params[l.weights + i * l.n_out + o] as f64 * h[i]).sum::<f64>();
                        if k == 2 { z } else { z.tanh() }
                    })
                    .collect();
            }
            let y = s.eval_batch(&x).unwrap();
            for o in 0..2 {
                assert!((y[o] as f64 - h[o]).abs() < 1e-5, "output {o}: {} vs {}", y[o], h[o]);
            }
        }
    }

    /// A reframed surrogate reading inputs normalised from the new domain computes, for every raw
    /// input, what the original computes reading them normalised from the old one; the padded
    /// input's weights are untouched.
    #[test]
    fn reframing_keeps_the_function_of_raw_inputs() {
        let shape = CoveringShape { n_in: 3, hidden: vec![4, 3], n_out: 2, activation: "sigmoid".into() };
        let params: Vec<f32> = (0..shape.n_params()).map(|k| ((k * 29 % 17) as f32 - 8.0) / 6.0).collect();
        let (from, to) = ([(-1.0f32, 1.0), (-16.0, 16.0)], [(0.0f32, 0.5), (0.0, 255.0)]);
        let mut moved = params.clone();
        shape.reframe(&mut moved, &from, &to);
        assert_ne!(moved, params);
        let first = shape.layers()[0];
        let padded = first.weights + 2 * first.n_out..first.weights + 3 * first.n_out;
        assert_eq!(moved[padded.clone()], params[padded]);
        assert_eq!(moved[first.biases + first.n_out..], params[first.biases + first.n_out..]);
        let before = shape.surrogate(&params, Metadata::named("t"), &from, 2).unwrap();
        let after = shape.surrogate(&moved, Metadata::named("t"), &to, 2).unwrap();
        for x in [[0.0f32, 0.0], [0.1, 7.0], [0.45, 200.0], [0.25, 128.0]] {
            let (a, b) = (before.eval_batch(&x).unwrap(), after.eval_batch(&x).unwrap());
            for o in 0..2 {
                assert!((a[o] - b[o]).abs() < 1e-5, "x {x:?}, output {o}: {} vs {}", a[o], b[o]);
            }
        }
        // Into the frame it came from, nothing moves.
        let mut same = params.clone();
        shape.reframe(&mut same, &from, &from);
        assert!(same.iter().zip(&params).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    /// The frame is the harness's sampling domain of each input's type.
    #[test]
    fn training_frame_follows_the_input_types() {
        let s = Signature::parse("double f(float x, int n, unsigned k, double *out)").unwrap();
        assert_eq!(training_frame(&s), vec![(-1.0, 1.0), (-16.0, 16.0), (0.0, 16.0)]);
    }

    #[test]
    fn parse_and_coverage() {
        let s = CoveringShape::parse("9,16,16,2", "sigmoid").unwrap();
        assert_eq!(s.widths(), vec![9, 16, 16, 2]);
        assert!(s.covers(9, 2) && s.covers(1, 1) && !s.covers(10, 1) && !s.covers(3, 3));
        assert!(CoveringShape::parse("9,2", "sigmoid").is_err());
        assert!(CoveringShape::parse("9,x,2", "sigmoid").is_err());
        assert!(CoveringShape::parse("9,4,2", "identity").is_err());
        let r = s.random_params(3);
        let w0 = &r[..9 * 16];
        let var = w0.iter().map(|w| (*w as f64).powi(2)).sum::<f64>() / w0.len() as f64;
        assert!((var.sqrt() - (2.0f64 / 25.0).sqrt()).abs() < 0.05, "xavier std {}", var.sqrt());
        assert!(r[9 * 16..9 * 16 + 16].iter().all(|b| *b == 0.0));
    }

    /// The scaled control is RND's own draw times the scale, with the hidden biases set and the
    /// output biases left at 0; at scale 1 and bias 0 it is RND bit for bit.
    #[test]
    fn a_scaled_random_init_is_the_xavier_draw_scaled() {
        let s = CoveringShape { n_in: 3, hidden: vec![5, 4], n_out: 2, activation: "sigmoid".into() };
        let xavier = s.random_params(11);
        assert_eq!(s.random_params_with(11, RandomInit::XAVIER), xavier);
        let small = s.random_params_with(11, RandomInit { weight_scale: 0.1, hidden_bias: -2.7 });
        let layers = s.layers();
        for (k, l) in layers.iter().enumerate() {
            for i in l.weights..l.biases {
                assert_eq!(small[i], xavier[i] * 0.1, "weight {i}");
                assert!(xavier[i] != 0.0);
            }
            let bias = if k + 1 < layers.len() { -2.7 } else { 0.0 };
            assert!(
                small[l.biases..l.biases + l.n_out].iter().all(|&b| b == bias),
                "layer {k}: {:?}",
                &small[l.biases..]
            );
        }
    }
}
