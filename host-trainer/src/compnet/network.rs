//! CompNet as a burn module: C tokens → Transformer encoder → first-token (or mean) embedding →
//! parameter head → the covering surrogate's flat weights, the first layer's rows optionally also
//! read input by input ([`InputReader`]); and the generated surrogates applied to a batch of
//! programs at once.

use burn::module::{Module, Param};
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{relu, sigmoid, softmax, tanh};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use compnet_datasets::c_tokens::{EncodedProgram, LinearSums, Vocabulary};
use compnet_runtime::Activation;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::covering::CoveringShape;

/// CompNet's hyper-parameters: saved with every checkpoint, enough to rebuild the module.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompNetConfig {
    /// Token ids (the C vocabulary's size).
    pub vocab: usize,
    /// Longest token sequence, `[CLS]` included (position embeddings).
    pub max_tokens: usize,
    /// Encoder width.
    pub d_model: usize,
    /// Encoder layers.
    pub n_layers: usize,
    /// Attention heads.
    pub n_heads: usize,
    /// Feed-forward width.
    pub d_ff: usize,
    /// The surrogate shape the head emits.
    pub covering: CoveringShape,
    /// Dropout in the encoder's attention and feed-forward blocks while training (0 in
    /// checkpoints written before it existed); generation never drops.
    #[serde(default)]
    pub dropout: f64,
    /// Whether the encoder reads number literals' values ([`literal_features`]) besides their ids
    /// (false in checkpoints written before it existed).
    #[serde(default)]
    pub literal_values: bool,
    /// What of the encoder's output the parameter head reads (the first token's, in checkpoints
    /// written before it existed).
    #[serde(default)]
    pub pooling: Pooling,
    /// Whether each covering input's row of the first layer also comes from what the encoder says
    /// where that input is read ([`InputReader`]; false in checkpoints written before it existed).
    #[serde(default)]
    pub input_reader: bool,
    /// Whether sources are read with their linear sums written out
    /// ([`compnet_datasets::c_tokens::write_out_linear_sums`]: every variable's weight a literal
    /// beside it) before they are tokenized, in training and in compiling alike (false in
    /// checkpoints written before it existed).
    #[serde(default)]
    pub written_out_sums: bool,
}

/// What of the encoder's output the parameter head reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// The first token's state (`[CLS]`, as BERT classifies).
    #[default]
    First,
    /// The mean of every real token's state (padding left out).
    Mean,
}

impl CompNetConfig {
    /// BERT-Tiny's encoder size (2 layers, width 128, 2 heads, feed-forward 512).
    pub fn bert_tiny(vocab: usize, covering: CoveringShape) -> Self {
        Self {
            vocab,
            max_tokens: 512,
            d_model: 128,
            n_layers: 2,
            n_heads: 2,
            d_ff: 512,
            covering,
            dropout: 0.0,
            literal_values: true,
            pooling: Pooling::First,
            input_reader: false,
            written_out_sums: false,
        }
    }

    /// How this CompNet reads weighted sums.
    fn linear_sums(&self) -> LinearSums {
        if self.written_out_sums { LinearSums::WrittenOut } else { LinearSums::AsWritten }
    }

    /// The vocabulary this CompNet reads sources with.
    pub fn vocabulary(&self) -> Vocabulary {
        Vocabulary::default().with_linear_sums(self.linear_sums())
    }

    /// A fresh CompNet: encoder with burn's initialisation, parameter head initialised so that
    /// every generated surrogate parameter starts with the spread of a Xavier initialisation
    /// (the head's input is layer-normalised, so each output has variance `Σ w²` ≈ `std²`).
    pub fn init(&self, device: &Device, seed: u64) -> anyhow::Result<CompNet> {
        anyhow::ensure!(
            self.d_model.is_multiple_of(self.n_heads),
            "d_model {} is not a multiple of n_heads {}",
            self.d_model,
            self.n_heads
        );
        anyhow::ensure!((0.0..1.0).contains(&self.dropout), "dropout {} is not in [0, 1)", self.dropout);
        self.covering.hidden_activation()?;
        let n_params = self.covering.n_params();
        let mut head = LinearConfig::new(self.d_model, n_params).init(device);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let std = self.covering.init_std();
        let a = (3.0 / self.d_model as f32).sqrt();
        let w: Vec<f32> = (0..self.d_model * n_params).map(|k| rng.random_range(-a..a) * std[k % n_params]).collect();
        head.weight = Param::from_tensor(Tensor::<2>::from_data(TensorData::new(w, [self.d_model, n_params]), device));
        head.bias = Some(Param::from_tensor(Tensor::<1>::zeros([n_params], device)));
        Ok(CompNet {
            tokens: EmbeddingConfig::new(self.vocab, self.d_model).init(device),
            literals: self
                .literal_values
                .then(|| LinearConfig::new(LITERAL_FEATURES, self.d_model).with_bias(false).init(device)),
            positions: EmbeddingConfig::new(self.max_tokens, self.d_model).init(device),
            embedding_norm: LayerNormConfig::new(self.d_model).init(device),
            encoder: TransformerEncoderConfig::new(self.d_model, self.d_ff, self.n_heads, self.n_layers)
                .with_dropout(self.dropout)
                .with_norm_first(true)
                .init(device),
            pooled_norm: LayerNormConfig::new(self.d_model).init(device),
            head,
            inputs: self.input_reader.then(|| InputReader::new(self.d_model, &self.covering, &mut rng, device)),
            covering: self.covering.clone(),
            max_tokens: self.max_tokens,
            pooling: self.pooling,
            sums: self.linear_sums(),
        })
    }
}

/// The hypernetwork.
#[derive(Module, Debug)]
pub struct CompNet {
    tokens: Embedding,
    /// Literal values' features → embedding space, added to the token embeddings.
    literals: Option<Linear>,
    positions: Embedding,
    embedding_norm: LayerNorm,
    encoder: TransformerEncoder,
    pooled_norm: LayerNorm,
    head: Linear,
    /// Per-input rows of the first layer, added to the head's.
    inputs: Option<InputReader>,
    #[module(skip)]
    covering: CoveringShape,
    #[module(skip)]
    max_tokens: usize,
    #[module(skip)]
    pooling: Pooling,
    #[module(skip)]
    sums: LinearSums,
}

/// Reads, for each covering input, what the encoder says where that input is used: a learned
/// query per input attends over the program's token states (keys and values projected, padding
/// left out), and the attended state, layer-normalised, gives that input's row of the first
/// layer's weights (`[n_in, width]`, row-major in the parameter layout), added to the head's.
///
/// The head alone reads one pooled vector, so it must write every input's weights from it: a
/// stencil's `2 * p3` has to reach row 3 through the pooling. Here row `i` comes from the states
/// the query `i` picks out, which can be the tokens of the `i`-th parameter (the vocabulary
/// numbers identifiers by first occurrence, so the `i`-th parameter has the same id in every
/// program whose signature comes first).
///
/// The row projection starts at zero: a fresh CompNet with the reader generates what one
/// without it would, and the reader learns what the pooled vector misses.
#[derive(Module, Debug)]
pub struct InputReader {
    /// One query per covering input: `[n_in, d_model]`.
    queries: Param<Tensor<2>>,
    keys: Linear,
    values: Linear,
    norm: LayerNorm,
    /// Attended state → that input's row: `d_model` → the first hidden width.
    rows: Linear,
}

impl InputReader {
    fn new(d_model: usize, covering: &CoveringShape, rng: &mut ChaCha8Rng, device: &Device) -> InputReader {
        let n_in = covering.n_in;
        let width = covering.layers()[0].n_out;
        let q: Vec<f32> = (0..n_in * d_model).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let mut rows = LinearConfig::new(d_model, width).init(device);
        rows.weight = Param::from_tensor(Tensor::zeros([d_model, width], device));
        rows.bias = Some(Param::from_tensor(Tensor::zeros([width], device)));
        InputReader {
            queries: Param::from_tensor(Tensor::from_data(TensorData::new(q, [n_in, d_model]), device)),
            keys: LinearConfig::new(d_model, d_model).with_bias(false).init(device),
            values: LinearConfig::new(d_model, d_model).with_bias(false).init(device),
            norm: LayerNormConfig::new(d_model).init(device),
            rows,
        }
    }

    /// `h [programs, len, d_model]` (the encoder's states), `padding [programs, len]` →
    /// `[programs, n_in × width]`: the first layer's weights, input by input.
    pub fn forward(&self, h: Tensor<3>, padding: Tensor<2, Bool>) -> Tensor<2> {
        let [programs, len, d] = h.dims();
        let q = self.queries.val();
        let n_in = q.dims()[0];
        let q = q.transpose().reshape([1, d, n_in]).repeat_dim(0, programs);
        let scores = self.keys.forward(h.clone()).matmul(q).div_scalar((d as f32).sqrt());
        // padding: −10⁴ before the softmax over positions
        let scores = scores + padding.float().reshape([programs, len, 1]).mul_scalar(-1.0e4);
        let attention = softmax(scores, 1).swap_dims(1, 2);
        let read = attention.matmul(self.values.forward(h));
        let rows = self.rows.forward(self.norm.forward(read));
        let width = rows.dims()[2];
        rows.reshape([programs, n_in * width])
    }
}

/// How many features [`literal_features`] gives a literal.
pub const LITERAL_FEATURES: usize = 3;

/// What the encoder reads of a number literal's value `v` (C literals are never negative: a minus
/// is its own token), each feature within about [−1, 1] where code's constants live:
/// - `v` itself, clamped to [0, 16] and scaled by 1/4: exact where most coefficients are;
/// - `ln(1 + v) / 3`, capped at 8: any magnitude, smoothly;
/// - the decimal mantissa `m` ∈ [1, 10) as `(m − 5.5) / 4.5`: the digits at any magnitude (the
///   token id already says the decimal exponent).
///
/// All 0 for `v` = 0 and at every token that is not a number.
pub fn literal_features(v: f64) -> [f32; LITERAL_FEATURES] {
    if !v.is_finite() || v <= 0.0 {
        return [0.0; LITERAL_FEATURES];
    }
    let mantissa = v / 10f64.powf(v.log10().floor());
    [(v.min(16.0) / 4.0) as f32, (v.ln_1p() / 3.0).min(8.0) as f32, ((mantissa.clamp(1.0, 10.0) - 5.5) / 4.5) as f32]
}

/// A batch of token sequences: `[programs, length]` ids, zero-padded, the padding mask, and the
/// literal features `[programs, length, LITERAL_FEATURES]`.
#[derive(Debug, Clone)]
pub struct TokenBatch {
    /// Token ids.
    pub ids: Tensor<2, Int>,
    /// `true` where `ids` is padding.
    pub padding: Tensor<2, Bool>,
    /// [`literal_features`] of each position's literal value (0 on padding).
    pub literals: Tensor<3>,
}

impl TokenBatch {
    /// Pads `programs` to the longest one, rounded up to a multiple of `round` (fewer distinct
    /// shapes means fewer kernel compilations on a GPU), at most `max_len`.
    pub fn new(programs: &[&EncodedProgram], round: usize, max_len: usize, device: &Device) -> Self {
        let longest = programs.iter().map(|s| s.len()).max().unwrap_or(1).max(1);
        let len = longest.div_ceil(round.max(1)).saturating_mul(round.max(1)).min(max_len).max(longest.min(max_len));
        let mut ids = vec![0i64; programs.len() * len];
        let mut padding = vec![true; programs.len() * len];
        let mut literals = vec![0f32; programs.len() * len * LITERAL_FEATURES];
        for (row, s) in programs.iter().enumerate() {
            debug_assert_eq!(s.ids.len(), s.values.len(), "an EncodedProgram's ids and values are aligned");
            for (k, (&id, &v)) in s.ids.iter().zip(&s.values).take(len).enumerate() {
                ids[row * len + k] = id as i64;
                padding[row * len + k] = false;
                let at = (row * len + k) * LITERAL_FEATURES;
                literals[at..at + LITERAL_FEATURES].copy_from_slice(&literal_features(v));
            }
        }
        let shape = [programs.len(), len];
        Self {
            ids: Tensor::from_data(TensorData::new(ids, shape), device),
            padding: Tensor::from_data(TensorData::new(padding, shape), device),
            literals: Tensor::from_data(TensorData::new(literals, [programs.len(), len, LITERAL_FEATURES]), device),
        }
    }
}

impl CompNet {
    /// The covering shape this CompNet emits.
    pub fn covering(&self) -> &CoveringShape {
        &self.covering
    }

    /// Longest token sequence it reads (`[CLS]` included).
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The vocabulary it reads sources with (its config's [`CompNetConfig::vocabulary`]): every
    /// program it compiles or is trained on is encoded by this.
    pub fn vocabulary(&self) -> Vocabulary {
        Vocabulary::default().with_linear_sums(self.sums)
    }

    /// Moves the parameter head so that every generated surrogate is `start` plus the head's
    /// text-dependent part scaled by `weight_scale` (0: exactly `start` for every program; 1: the
    /// head's own spread around it). A fresh CompNet moved to a meta-learned start (FOMAML's)
    /// begins training where finetuning does well, and learns each program's departure from it.
    pub fn start_at(mut self, start: &[f32], weight_scale: f32) -> anyhow::Result<CompNet> {
        let n_params = self.covering.n_params();
        anyhow::ensure!(start.len() == n_params, "a start of {} parameters for a head of {n_params}", start.len());
        anyhow::ensure!(
            weight_scale.is_finite() && start.iter().all(|v| v.is_finite()),
            "the start and its weight scale must be finite"
        );
        let device = self.head.weight.device();
        // Detached: the scaled weight is a new leaf (training takes gradients from here on).
        self.head.weight = Param::from_tensor(self.head.weight.val().mul_scalar(weight_scale).detach());
        self.head.bias =
            Some(Param::from_tensor(Tensor::from_data(TensorData::new(start.to_vec(), [n_params]), &device)));
        Ok(self)
    }

    /// `[programs, n_params]`: each program's generated surrogate parameters.
    pub fn generate(&self, tokens: TokenBatch) -> Tensor<2> {
        let [programs, len] = tokens.ids.dims();
        let device = tokens.ids.device();
        let positions = Tensor::<1, Int>::arange(0..len as i64, &device).reshape([1, len]).repeat_dim(0, programs);
        let mut x = self.tokens.forward(tokens.ids) + self.positions.forward(positions);
        if let Some(literals) = &self.literals {
            x = x + literals.forward(tokens.literals);
        }
        let x = self.embedding_norm.forward(x);
        let h = self.encoder.forward(TransformerEncoderInput::new(x).mask_pad(tokens.padding.clone()));
        let d = h.dims()[2];
        let pooled = match self.pooling {
            Pooling::First => h.clone().slice([0..programs, 0..1]).reshape([programs, d]),
            Pooling::Mean => {
                let real = tokens.padding.clone().bool_not().float().reshape([programs, len, 1]);
                let count = real.clone().sum_dim(1).clamp_min(1.0).reshape([programs, 1]);
                (h.clone() * real).sum_dim(1).reshape([programs, d]) / count
            }
        };
        let params = self.head.forward(self.pooled_norm.forward(pooled));
        match &self.inputs {
            None => params,
            Some(reader) => {
                let rows = reader.forward(h, tokens.padding);
                let [_, n_params] = params.dims();
                let first = rows.dims()[1];
                let head_rows = params.clone().slice([0..programs, 0..first]);
                let rest = params.slice([0..programs, first..n_params]);
                Tensor::cat(vec![head_rows + rows, rest], 1)
            }
        }
    }

    /// Runs every program's generated surrogate on its own inputs:
    /// `params [programs, n_params]`, `x [programs, pairs, n_in]` → `[programs, pairs, n_out]`.
    pub fn run_surrogates(&self, params: Tensor<2>, x: Tensor<3>) -> Tensor<3> {
        run_covering(&self.covering, params, x)
    }

    /// [`Self::run_surrogates`] with the hidden pre-activations (for [`saturation`]).
    pub fn run_surrogates_traced(&self, params: Tensor<2>, x: Tensor<3>) -> (Tensor<3>, Vec<Tensor<3>>) {
        run_covering_traced(&self.covering, params, x)
    }
}

/// The covering MLP with per-program weights, batched: one batched matmul per layer.
pub fn run_covering(covering: &CoveringShape, params: Tensor<2>, x: Tensor<3>) -> Tensor<3> {
    covering_forward(covering, params, x, None)
}

/// [`run_covering`], also returning every hidden layer's pre-activations `[programs, pairs, width]`
/// (what [`saturation`] measures).
pub fn run_covering_traced(covering: &CoveringShape, params: Tensor<2>, x: Tensor<3>) -> (Tensor<3>, Vec<Tensor<3>>) {
    let mut pre = Vec::with_capacity(covering.hidden.len());
    let out = covering_forward(covering, params, x, Some(&mut pre));
    (out, pre)
}

/// The forward pass; hidden pre-activations are kept only when `pre` asks for them (keeping one
/// holds a second reference to it, so the activation cannot reuse its buffer: finetuning's
/// forward, run every epoch, does not keep them).
fn covering_forward(
    covering: &CoveringShape,
    params: Tensor<2>,
    x: Tensor<3>,
    mut pre: Option<&mut Vec<Tensor<3>>>,
) -> Tensor<3> {
    let [programs, _] = params.dims();
    let activation = covering.hidden_activation().expect("validated when the CompNet was built");
    let slots = covering.layers();
    let last = slots.len() - 1;
    slots.iter().enumerate().fold(x, |h, (k, s)| {
        let w = params.clone().slice([0..programs, s.weights..s.biases]).reshape([programs, s.n_in, s.n_out]);
        let b = params.clone().slice([0..programs, s.biases..s.biases + s.n_out]).reshape([programs, 1, s.n_out]);
        let z = h.matmul(w) + b;
        if k == last {
            return z;
        }
        if let Some(pre) = pre.as_mut() {
            pre.push(z.clone());
        }
        match activation {
            Activation::Identity => z,
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => tanh(z),
            Activation::Relu => relu(z),
        }
    })
}

/// Pre-activations within this distance of 0 are not penalised by [`saturation`]: a sigmoid's
/// slope at 3 is 0.045, a fifth of its peak.
pub const SATURATION_MARGIN: f32 = 3.0;

/// How far generated surrogates push their hidden units into the activation's flat ends: the
/// mean over hidden layers of `mean(relu(|z| − SATURATION_MARGIN)²)` over programs, pairs and
/// units. A surrogate whose units sit there has near-zero gradients, so finetuning barely moves
/// it (docs/compnet.md, "Saturation"); `compnet train --saturation-penalty` adds this to the loss.
pub fn saturation(pre: &[Tensor<3>]) -> Tensor<1> {
    let terms: Vec<Tensor<1>> =
        pre.iter().map(|z| z.clone().abs().sub_scalar(SATURATION_MARGIN).clamp_min(0.0).square().mean()).collect();
    let n = terms.len().max(1) as f32;
    Tensor::cat(terms, 0).sum().div_scalar(n)
}

/// A covering shape's initial weight spread, for [`Self::weight_scale`]: `1/σ` of
/// [`CoveringShape::init_std`] on weights and 0 on biases (`[1, n_params]`), and the number of
/// weights.
#[derive(Debug, Clone)]
pub struct InitSpread {
    inv_std: Tensor<2>,
    weights: usize,
}

impl InitSpread {
    /// The spread of `covering`'s fresh initialisation, on `device`.
    pub fn new(covering: &CoveringShape, device: &Device) -> InitSpread {
        let inv: Vec<f32> = covering.init_std().iter().map(|&s| if s > 0.0 { 1.0 / s } else { 0.0 }).collect();
        let (n, weights) = (inv.len(), inv.iter().filter(|&&v| v > 0.0).count());
        InitSpread { inv_std: Tensor::from_data(TensorData::new(inv, [1, n]), device), weights }
    }

    /// How large generated weights are against a fresh initialisation: the mean over programs and
    /// weights of `(θ / σ)²` (1 for freshly initialised weights; biases are not counted). Large,
    /// rough weights fit few pairs badly when finetuned; `compnet train --weight-penalty` adds
    /// this to the loss.
    pub fn weight_scale(&self, params: Tensor<2>) -> Tensor<1> {
        let [programs, _] = params.dims();
        (params * self.inv_std.clone()).square().sum().div_scalar((programs * self.weights).max(1) as f32)
    }
}

/// Mean squared error over the real outputs only: `mask [programs, 1, n_out]` is 1 on a
/// program's outputs and 0 on the covering shape's padding.
pub fn masked_mse(predicted: Tensor<3>, target: Tensor<3>, mask: Tensor<3>) -> Tensor<1> {
    let pairs = predicted.dims()[1];
    let err = (predicted - target).square() * mask.clone();
    err.sum() / mask.sum().mul_scalar(pairs as f32)
}

/// Per-program mean squared error over real outputs: `[programs]`.
pub fn masked_mse_per_program(predicted: Tensor<3>, target: Tensor<3>, mask: Tensor<3>) -> Tensor<1> {
    let [programs, pairs, _] = predicted.dims();
    let err = ((predicted - target).square() * mask.clone()).sum_dim(2).sum_dim(1).reshape([programs]);
    err / mask.sum_dim(2).reshape([programs]).mul_scalar(pairs as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> CompNetConfig {
        CompNetConfig {
            vocab: 40,
            max_tokens: 32,
            d_model: 16,
            n_layers: 1,
            n_heads: 2,
            d_ff: 32,
            covering: CoveringShape { n_in: 3, hidden: vec![4], n_out: 2, activation: "sigmoid".into() },
            dropout: 0.0,
            literal_values: true,
            pooling: Pooling::First,
            input_reader: false,
            written_out_sums: false,
        }
    }

    /// A program of `ids` whose positions `k` hold the literal `v` for each `(k, v)` in `literals`.
    fn program(ids: &[u32], literals: &[(usize, f64)]) -> EncodedProgram {
        let mut p = EncodedProgram::from_ids(ids.to_vec());
        for &(k, v) in literals {
            p.values[k] = v;
        }
        p
    }

    /// The batched covering forward equals the runtime surrogate built from the same generated
    /// parameters, program by program (the runtime is the reference for what a surrogate computes).
    #[test]
    fn batched_surrogates_match_the_runtime() {
        let device = Device::flex();
        let config = tiny();
        let net = config.init(&device, 7).unwrap();
        let seqs =
            [program(&[2, 5, 9, 11], &[(2, 1.66)]), program(&[2, 7, 7, 30, 31, 12, 3], &[]), program(&[2, 1], &[])];
        let refs: Vec<&EncodedProgram> = seqs.iter().collect();
        let params = net.generate(TokenBatch::new(&refs, 8, 32, &device));
        assert_eq!(params.dims(), [3, config.covering.n_params()]);
        let pairs = 5;
        let xs: Vec<f32> = (0..3 * pairs * 3).map(|k| ((k * 13 % 17) as f32 / 8.5) - 1.0).collect();
        let x = Tensor::<3>::from_data(TensorData::new(xs.clone(), [3, pairs, 3]), &device);
        let y: Vec<f32> = net.run_surrogates(params.clone(), x).into_data().try_to_vec::<f32>().unwrap();
        let flat: Vec<f32> = params.into_data().try_to_vec::<f32>().unwrap();
        let n_params = config.covering.n_params();
        for p in 0..3 {
            let s = config
                .covering
                .surrogate(
                    &flat[p * n_params..(p + 1) * n_params],
                    compnet_runtime::Metadata::named("t"),
                    &[(-1.0, 1.0); 3],
                    2,
                )
                .unwrap();
            let rt = s.eval_batch(&xs[p * pairs * 3..(p + 1) * pairs * 3]).unwrap();
            for (a, b) in rt.iter().zip(&y[p * pairs * 2..(p + 1) * pairs * 2]) {
                assert!((a - b).abs() < 1e-5, "program {p}: runtime {a} vs batched {b}");
            }
        }
    }

    /// Moved to a start with weight scale 0, every program generates that start; with scale 1
    /// the text-dependent part is the fresh head's, around the start.
    #[test]
    fn a_start_moves_every_generated_surrogate() {
        let device = Device::flex();
        let config = tiny();
        let n = config.covering.n_params();
        let start: Vec<f32> = (0..n).map(|k| k as f32 / 10.0 - 1.0).collect();
        let seqs = [program(&[2, 5, 9, 11], &[(3, 0.25)]), program(&[2, 7, 7, 30, 31, 12, 3], &[])];
        let refs: Vec<&EncodedProgram> = seqs.iter().collect();
        let generate = |net: &CompNet| -> Vec<f32> {
            net.generate(TokenBatch::new(&refs, 8, 32, &device)).into_data().try_to_vec::<f32>().unwrap()
        };
        // One fresh net, cloned: re-seeding the device's generator would not give the same net
        // again while other tests draw from it in parallel.
        let base = config.init(&device, 3).unwrap();
        let fresh_net = || base.clone();
        let at = generate(&fresh_net().start_at(&start, 0.0).unwrap());
        for p in 0..2 {
            assert_eq!(&at[p * n..(p + 1) * n], start.as_slice(), "program {p}");
        }
        let fresh = generate(&fresh_net());
        let around = generate(&fresh_net().start_at(&start, 1.0).unwrap());
        for (k, (a, f)) in around.iter().zip(&fresh).enumerate() {
            assert!((a - (f + start[k % n])).abs() < 1e-5, "parameter {k}: {a} vs {f} + {}", start[k % n]);
        }
        assert!(fresh_net().start_at(&start[1..], 0.0).is_err());
        assert!(fresh_net().start_at(&start, f32::NAN).is_err());
        // On a training (autodiff) device too, as `compnet train` moves it.
        let trained = config.init(&device.clone().autodiff(), 3).unwrap().start_at(&start, 0.5).unwrap();
        assert_eq!(trained.generate(TokenBatch::new(&refs, 8, 32, &device.clone().autodiff())).dims(), [2, n]);
    }

    /// Padding changes nothing, whichever state the head reads; and the two poolings differ.
    #[test]
    fn padding_is_masked() {
        let device = Device::flex();
        let a = program(&[2, 5, 9, 11], &[(1, 3.5)]);
        let b = program(&(0..20).map(|k| 5 + k % 30).collect::<Vec<u32>>(), &[(4, 0.1), (19, 1e6)]);
        let mut read = Vec::new();
        for pooling in [Pooling::First, Pooling::Mean] {
            let net = CompNetConfig { pooling, ..tiny() }.init(&device, 1).unwrap();
            let alone: Vec<f32> =
                net.generate(TokenBatch::new(&[&a], 1, 32, &device)).into_data().try_to_vec::<f32>().unwrap();
            let batched: Vec<f32> =
                net.generate(TokenBatch::new(&[&a, &b], 16, 32, &device)).into_data().try_to_vec::<f32>().unwrap();
            let worst = largest_difference(&alone, &batched);
            assert!(worst < 1e-5, "{pooling:?}: padding changed the parameters by {worst}");
            read.push(alone);
        }
        let apart = largest_difference(&read[0], &read[1]);
        assert!(apart > 1e-3, "mean pooling generated what first-token pooling did");
    }

    fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max)
    }

    /// Mean pooling reads every real token's encoder state alike. With the positions zeroed,
    /// attention cannot tell a sequence from its reversal or from itself repeated (each token
    /// attends to the same mixture), so all three pool alike; the first token's state does tell the
    /// reversal apart. (A sum would pool alike too: the layer norm after pooling removes the scale.
    /// That padding is left out of the mean is `padding_is_masked`'s.)
    #[test]
    fn mean_pooling_averages_the_real_tokens() {
        let device = Device::flex();
        let (once, reversed, twice) =
            (program(&[3, 7, 12], &[]), program(&[12, 7, 3], &[]), program(&[3, 7, 12, 3, 7, 12], &[]));
        for pooling in [Pooling::Mean, Pooling::First] {
            let mut net = CompNetConfig { pooling, ..tiny() }.init(&device, 2).unwrap();
            let zeros = Tensor::<2>::zeros(net.positions.weight.dims(), &device);
            net.positions.weight = Param::from_tensor(zeros);
            let generated = |p: &EncodedProgram| -> Vec<f32> {
                net.generate(TokenBatch::new(&[p], 1, 32, &device)).into_data().try_to_vec::<f32>().unwrap()
            };
            let (a, r, t) = (generated(&once), generated(&reversed), generated(&twice));
            let repeated = largest_difference(&a, &t);
            assert!(repeated < 1e-5, "{pooling:?}: the repeated sequence moved the parameters by {repeated}");
            let order = largest_difference(&a, &r);
            match pooling {
                Pooling::Mean => assert!(order < 1e-5, "the mean moved by {order} when the order was reversed"),
                Pooling::First => assert!(order > 1e-3, "the first token's state did not see the reversal"),
            }
        }
    }

    /// The input reader starts silent (its rows at zero: a fresh CompNet generates what it would
    /// without it); once its rows are non-zero it writes the first layer's weights alone, input by
    /// input (each query reads its own mixture of the states: rows differ), and leaves padding out.
    #[test]
    fn the_input_reader_starts_silent_then_writes_first_layer_rows() {
        let device = Device::flex();
        let config = CompNetConfig { input_reader: true, ..tiny() };
        let a = program(&[2, 5, 9, 11, 9], &[(1, 3.5)]);
        let b = program(&(0..20).map(|k| 5 + k % 30).collect::<Vec<u32>>(), &[(4, 0.1)]);
        let generated = |net: &CompNet, batch: &[&EncodedProgram]| -> Vec<f32> {
            net.generate(TokenBatch::new(batch, 16, 32, &device)).into_data().try_to_vec::<f32>().unwrap()
        };
        let mut net = config.init(&device, 3).unwrap();
        let mut without = net.clone();
        without.inputs = None;
        assert_eq!(generated(&net, &[&a]), generated(&without, &[&a]));

        let reader = net.inputs.as_mut().unwrap();
        let [d, width] = reader.rows.weight.dims();
        let w: Vec<f32> = (0..d * width).map(|k| ((k * 37 % 23) as f32 / 11.0) - 1.0).collect();
        reader.rows.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [d, width]), &device));
        let (read, plain) = (generated(&net, &[&a]), generated(&without, &[&a]));
        let n_in = config.covering.n_in;
        let first = n_in * width;
        assert!(largest_difference(&read[..first], &plain[..first]) > 1e-3, "the reader moved no weight");
        assert_eq!(read[first..], plain[first..], "the reader moved parameters past the first layer's weights");
        let delta: Vec<f32> = read.iter().zip(&plain).map(|(x, y)| x - y).collect();
        let (row0, row1) = (&delta[..width], &delta[width..2 * width]);
        assert!(largest_difference(row0, row1) > 1e-4, "inputs 0 and 1 got the same row {row0:?}");
        let batched = generated(&net, &[&a, &b]);
        let worst = largest_difference(&read, &batched[..read.len()]);
        assert!(worst < 1e-5, "padding changed the reader's rows by {worst}");
    }

    /// A checkpoint written with `written_out_sums` loads reading sums written out (a grouped sum
    /// encodes as its written-out text); one written before the option reads them as written.
    #[test]
    fn a_checkpoint_remembers_how_it_reads_sums() {
        let device = Device::default();
        let config = CompNetConfig { written_out_sums: true, ..tiny() };
        let dir = tempfile::tempdir().unwrap();
        super::super::checkpoint::write_model(dir.path(), &config.init(&device, 0).unwrap(), &config).unwrap();
        let (net, loaded) = super::super::checkpoint::load_model(dir.path(), &device).unwrap();
        assert!(loaded.written_out_sums);
        assert_eq!(net.vocabulary().linear_sums(), LinearSums::WrittenOut);
        let sum = "double f(double a, double b) { return (b + 2.0 * a) - b; }";
        let written = Vocabulary::default().encode_program("double f(double a, double b) { return 2.0 * a; }", 64);
        assert_eq!(net.vocabulary().encode_program(sum, 64).unwrap().ids, written.unwrap().ids);
        // A config written before the option reads sums as written.
        let mut old = serde_json::to_value(tiny()).unwrap();
        old.as_object_mut().unwrap().remove("written_out_sums");
        let old: CompNetConfig = serde_json::from_value(old).unwrap();
        assert!(!old.written_out_sums);
        assert_eq!(old.init(&device, 0).unwrap().vocabulary().linear_sums(), LinearSums::AsWritten);
    }

    /// A CompNet that reads values tells `1.66f` from `1.99f` (same ids); one built without the
    /// value channel, as checkpoints before it, cannot.
    #[test]
    fn literal_values_reach_the_generated_parameters() {
        let device = Device::flex();
        let generate = |net: &CompNet, v: f64| -> Vec<f32> {
            let p = program(&[2, 5, 9, 11], &[(2, v)]);
            net.generate(TokenBatch::new(&[&p], 1, 32, &device)).into_data().try_to_vec::<f32>().unwrap()
        };
        let reads = tiny().init(&device, 5).unwrap();
        let moved = generate(&reads, 1.66).iter().zip(generate(&reads, 1.99)).map(|(a, b)| (a - b).abs()).sum::<f32>();
        assert!(moved > 1e-4, "the value moved the parameters by only {moved}");
        let blind = CompNetConfig { literal_values: false, ..tiny() }.init(&device, 5).unwrap();
        assert_eq!(generate(&blind, 1.66), generate(&blind, 1.99));
    }

    /// Features are bounded, zero at zero and away from literals, and keep digits apart at any
    /// magnitude (1.66e-3 and 1.99e-3 differ in the mantissa feature).
    #[test]
    fn literal_features_are_bounded_and_tell_digits_apart() {
        assert_eq!(literal_features(0.0), [0.0; LITERAL_FEATURES]);
        assert_eq!(literal_features(f64::NAN), [0.0; LITERAL_FEATURES]);
        assert_eq!(literal_features(f64::INFINITY), [0.0; LITERAL_FEATURES]);
        let one = literal_features(1.0);
        assert_eq!(one[0], 0.25);
        assert!((one[1] - (2f64.ln() / 3.0) as f32).abs() < 1e-7);
        assert_eq!(one[2], -1.0);
        for v in [1e-300, 1e-6, 0.5, 3.0, 16.0, 1e6, 1.8e19, 1e300] {
            let f = literal_features(v);
            assert!(f.iter().all(|x| x.is_finite() && x.abs() <= 8.0), "{v}: {f:?}");
        }
        let (a, b) = (literal_features(1.66e-3), literal_features(1.99e-3));
        assert!((b[2] - a[2] - (0.33 / 4.5) as f32).abs() < 1e-5, "{a:?} {b:?}");
    }

    /// Units within the margin cost nothing; beyond it, the squared excess, averaged per layer.
    #[test]
    fn saturation_is_the_squared_excess_over_the_margin() {
        let device = Device::flex();
        let l0 = Tensor::<3>::from_data(TensorData::new(vec![0.5f32, -3.0, 4.0, -6.0], [1, 2, 2]), &device);
        let l1 = Tensor::<3>::from_data(TensorData::new(vec![1.0f32, 2.0], [1, 1, 2]), &device);
        let s: f32 = saturation(&[l0.clone(), l1]).into_scalar();
        // Layer 0: (0 + 0 + 1 + 9) / 4 = 2.5; layer 1: 0; mean over layers 1.25.
        assert!((s - 1.25).abs() < 1e-6, "{s}");
        assert_eq!(saturation(&[l0.clamp(-3.0, 3.0)]).into_scalar::<f32>(), 0.0);
    }

    /// Weights at their Xavier spread score 1; biases do not count.
    #[test]
    fn weight_scale_is_relative_to_the_initial_spread() {
        let device = Device::flex();
        let covering = CoveringShape { n_in: 2, hidden: vec![2], n_out: 1, activation: "sigmoid".into() };
        let std = covering.init_std();
        // Every weight at ±σ (score 1), every bias at 5 (ignored); a second program at ±2σ (score 4).
        let one: Vec<f32> =
            std.iter().enumerate().map(|(k, &s)| if s > 0.0 { if k % 2 == 0 { s } else { -s } } else { 5.0 }).collect();
        let two: Vec<f32> = one.iter().zip(&std).map(|(&v, &s)| if s > 0.0 { 2.0 * v } else { v }).collect();
        let n = covering.n_params();
        let p = Tensor::<2>::from_data(TensorData::new([one, two].concat(), [2, n]), &device);
        let score: f32 = InitSpread::new(&covering, &device).weight_scale(p).into_scalar();
        assert!((score - 2.5).abs() < 1e-5, "{score}");
    }

    /// Gradient steps on the two penalties alone shrink a saturated surrogate's weights and pull
    /// its hidden units back from the flat ends (what training with them does to generated ones).
    #[test]
    fn penalty_gradients_desaturate() {
        let device = Device::flex();
        let covering = CoveringShape { n_in: 3, hidden: vec![4, 4], n_out: 1, activation: "sigmoid".into() };
        let n = covering.n_params();
        let init: Vec<f32> = (0..n).map(|k| ((k * 5 % 9) as f32 - 4.0) * 1.5).collect();
        let xs: Vec<f32> = (0..24).map(|k| (k as f32 / 12.0) - 1.0).collect();
        let x = Tensor::<3>::from_data(TensorData::new(xs, [1, 8, 3]), &device);
        let host_spread = InitSpread::new(&covering, &device);
        let measure = |p: &Tensor<2>| -> (f32, f32) {
            let (_, pre) = run_covering_traced(&covering, p.clone(), x.clone());
            (saturation(&pre).into_scalar(), host_spread.weight_scale(p.clone()).into_scalar())
        };
        let spread = InitSpread::new(&covering, &device.clone().autodiff());
        let mut p = Tensor::<2>::from_data(TensorData::new(init, [1, n]), &device);
        let (sat0, scale0) = measure(&p);
        for _ in 0..20 {
            let leaf = p.clone().autodiff().require_grad();
            let (_, pre) = run_covering_traced(&covering, leaf.clone(), x.clone().autodiff());
            let loss = saturation(&pre) + spread.weight_scale(leaf.clone()).mul_scalar(0.1);
            let grad = leaf.grad(&loss.backward()).expect("the parameters have a gradient");
            p = p - grad.mul_scalar(0.05);
        }
        let (sat1, scale1) = measure(&p);
        assert!(sat0 > 1.0 && sat1 < 0.5 * sat0, "saturation {sat0} → {sat1}");
        assert!(scale1 < scale0, "weight scale {scale0} → {scale1}");
    }

    /// The traced forward returns the same output as the plain one, and its pre-activations are
    /// `h·W + b` layer by layer, recomputed here on the host from the flat parameters.
    #[test]
    fn traced_forward_matches_and_exposes_hidden_layers() {
        let device = Device::flex();
        let covering = CoveringShape { n_in: 2, hidden: vec![3, 4], n_out: 1, activation: "sigmoid".into() };
        let params: Vec<f32> = (0..covering.n_params()).map(|k| ((k * 7 % 11) as f32 - 5.0) / 4.0).collect();
        let xs = vec![0.3f32, -0.8, 1.0, 0.2];
        let p = Tensor::<2>::from_data(TensorData::new(params.clone(), [1, covering.n_params()]), &device);
        let x = Tensor::<3>::from_data(TensorData::new(xs.clone(), [1, 2, 2]), &device);
        let (out, pre) = run_covering_traced(&covering, p.clone(), x.clone());
        assert_eq!(pre.iter().map(|z| z.dims()).collect::<Vec<_>>(), [[1, 2, 3], [1, 2, 4]]);
        let plain: Vec<f32> = run_covering(&covering, p, x).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(out.into_data().try_to_vec::<f32>().unwrap(), plain);
        // Host reference: weights `[n_in, n_out]` row-major, then biases, layer by layer.
        let mut h: Vec<Vec<f32>> = xs.chunks(2).map(<[f32]>::to_vec).collect();
        for (l, z) in covering.layers().iter().zip(&pre) {
            let want: Vec<Vec<f32>> = h
                .iter()
                .map(|row| {
                    (0..l.n_out)
                        .map(|o| {
                            params[l.biases + o]
                                + (0..l.n_in).map(|i| row[i] * params[l.weights + i * l.n_out + o]).sum::<f32>()
                        })
                        .collect()
                })
                .collect();
            let got: Vec<f32> = z.clone().into_data().try_to_vec::<f32>().unwrap();
            for (g, w) in got.iter().zip(want.concat()) {
                assert!((g - w).abs() < 1e-5, "pre-activation {g} against {w}");
            }
            h = want.iter().map(|r| r.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect()).collect();
        }
    }

    #[test]
    fn masked_loss_ignores_padded_outputs() {
        let device = Device::flex();
        let pred = Tensor::<3>::from_data(TensorData::new(vec![1.0f32, 100.0, 3.0, -50.0], [1, 2, 2]), &device);
        let target = Tensor::<3>::from_data(TensorData::new(vec![0.0f32, 0.0, 1.0, 0.0], [1, 2, 2]), &device);
        let mask = Tensor::<3>::from_data(TensorData::new(vec![1.0f32, 0.0], [1, 1, 2]), &device);
        let loss: f32 = masked_mse(pred.clone(), target.clone(), mask.clone()).into_scalar();
        assert!((loss - 2.5).abs() < 1e-6, "{loss}"); // ((1-0)² + (3-1)²) / 2
        let per: Vec<f32> = masked_mse_per_program(pred, target, mask).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(per, vec![2.5]);
    }
}
