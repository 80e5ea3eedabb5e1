//! The initialisations CompNet is compared with, learned from the training programs' I/O alone:
//!
//! * **PTS** (pretrained surrogate): one covering-shape surrogate trained on every training
//!   program's pairs at once, ignoring the text.
//! * **FOMAML** (first-order MAML): a meta-learned initialisation; each meta step adapts copies
//!   of it to a batch of programs with SGD on support pairs and moves it along the query-loss
//!   gradient at the adapted weights (the first-order approximation: no second derivatives).

use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;

use crate::compnet::CoveringShape;
use crate::compnet::adapt::{InnerLoop, InnerOptimizer, summed_program_mse};
use crate::compnet::network::{masked_mse, run_covering};
use crate::compnet::programs::ProgramSet;

/// How a baseline initialisation is learned.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaselineConfig {
    /// Optimiser steps (PTS) or meta steps (FOMAML).
    pub steps: usize,
    /// Programs per step.
    pub programs_per_step: usize,
    /// Pairs per program per step (FOMAML: support and query, each this many).
    pub pairs_per_step: usize,
    /// Adam learning rate of PTS, and FOMAML's outer (meta) learning rate.
    pub learning_rate: f64,
    /// FOMAML's inner SGD learning rate.
    pub inner_learning_rate: f64,
    /// FOMAML's inner SGD steps.
    pub inner_steps: usize,
    /// Seed of the initialisation and the sampling.
    pub seed: u64,
}

/// PTS's optimiser steps in the evaluation.
pub const PTS_STEPS: usize = 3000;
/// FOMAML's meta steps in the evaluation.
pub const FOMAML_STEPS: usize = 2000;

impl BaselineConfig {
    /// The evaluation's settings (`compnet eval`): 32 programs × 256 pairs per step, Adam at
    /// 0.01, FOMAML's inner loop 5 SGD steps at 0.01.
    pub fn protocol(steps: usize, seed: u64) -> BaselineConfig {
        BaselineConfig {
            steps,
            programs_per_step: 32,
            pairs_per_step: 256,
            learning_rate: 0.01,
            inner_learning_rate: 0.01,
            inner_steps: 5,
            seed,
        }
    }
}

/// Training pairs per program that `compnet eval`'s PTS and FOMAML learn from.
pub const BASELINE_PAIRS: usize = 256;

/// The training programs PTS and FOMAML learn from, as `compnet eval` reads them: every program
/// of `files` that the covering shape covers (the text is not read, so no token limit), its first
/// `pairs` training pairs ([`BASELINE_PAIRS`] in the evaluation).
pub fn baseline_programs(
    files: &[std::path::PathBuf],
    covering: &CoveringShape,
    vocabulary: &compnet_datasets::c_tokens::Vocabulary,
    pairs: usize,
) -> anyhow::Result<ProgramSet> {
    ProgramSet::load(files, crate::compnet::programs::PairSplit::Train, covering, vocabulary, usize::MAX, pairs)
}

#[derive(Module, Debug)]
struct SharedInit {
    params: Param<Tensor<2>>,
}

fn shared(covering: &CoveringShape, seed: u64, device: &Device) -> SharedInit {
    let n = covering.n_params();
    SharedInit {
        params: Param::from_tensor(Tensor::from_data(TensorData::new(covering.random_params(seed), [1, n]), device)),
    }
}

fn read(init: SharedInit) -> anyhow::Result<Vec<f32>> {
    init.params.val().into_data().try_to_vec::<f32>().map_err(|e| anyhow::anyhow!("reading parameters: {e:?}"))
}

/// A batch of `k` programs and `pairs` pair indices (two disjoint sets for FOMAML).
fn sample(
    rng: &mut ChaCha8Rng,
    set: &ProgramSet,
    k: usize,
    pairs: usize,
    sets: usize,
) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut programs: Vec<usize> = (0..set.len()).collect();
    programs.shuffle(rng);
    programs.truncate(k.min(set.len()));
    let all: Vec<usize> = (0..set.pairs).collect();
    let chosen: Vec<usize> = all.choose_multiple(rng, (pairs * sets).min(set.pairs)).copied().collect();
    let per = chosen.len() / sets;
    let split = (0..sets)
        .map(|s| {
            let mut v = chosen[s * per..(s + 1) * per].to_vec();
            v.sort_unstable();
            v
        })
        .collect();
    (programs, split)
}

/// PTS: one surrogate trained with Adam on every program of `set`.
pub fn pretrain_shared(
    covering: &CoveringShape,
    set: &ProgramSet,
    config: &BaselineConfig,
    device: &Device,
    progress: &ProgressBar,
) -> anyhow::Result<Vec<f32>> {
    anyhow::ensure!(!set.is_empty(), "PTS needs training programs");
    let device = device.clone().autodiff();
    let data = set.upload(&device);
    let mut init = shared(covering, config.seed, &device);
    let mut optim = AdamConfig::new().init();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x9e15);
    progress.set_length(config.steps as u64);
    for _ in 0..config.steps {
        let (programs, pairs) = sample(&mut rng, set, config.programs_per_step, config.pairs_per_step, 1);
        let (x, y, mask) = data.batch(&programs, Some(&pairs[0]), &device);
        let params = init.params.val().repeat_dim(0, programs.len());
        let loss = masked_mse(run_covering(covering, params, x), y, mask);
        let grads = GradientsParams::from_grads(loss.backward(), &init);
        init = optim.step(config.learning_rate, init, grads);
        progress.inc(1);
    }
    read(init)
}

/// FOMAML: a meta-learned initialisation over the programs of `set`.
pub fn fomaml(
    covering: &CoveringShape,
    set: &ProgramSet,
    config: &BaselineConfig,
    device: &Device,
    progress: &ProgressBar,
) -> anyhow::Result<Vec<f32>> {
    anyhow::ensure!(!set.is_empty(), "FOMAML needs training programs");
    let inner_device = device.clone();
    let device = device.clone().autodiff();
    let data = set.upload(&inner_device);
    let mut init = shared(covering, config.seed, &device);
    let mut optim = AdamConfig::new().init();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x3a41);
    let id = init.params.id;
    let inner = InnerLoop {
        steps: config.inner_steps,
        learning_rate: config.inner_learning_rate,
        optimizer: InnerOptimizer::Sgd,
    };
    progress.set_length(config.steps as u64);
    for _ in 0..config.steps {
        let (programs, pairs) = sample(&mut rng, set, config.programs_per_step, config.pairs_per_step, 2);
        let b = programs.len();
        let (xs, ys, mask) = data.batch(&programs, Some(&pairs[0]), &inner_device);
        let (xq, yq, _) = data.batch(&programs, Some(&pairs[1]), &inner_device);
        let (xs, ys, xq, yq, mask) = (xs.autodiff(), ys.autodiff(), xq.autodiff(), yq.autodiff(), mask.autodiff());
        // Inner loop: every program adapts its own copy with SGD.
        let start = init.params.val().inner().repeat_dim(0, b);
        let phi = inner.adapt(covering, start, &xs, &ys, &mask);
        // Outer: the query-loss gradient at the adapted weights, averaged over programs.
        let leaf = phi.autodiff().require_grad();
        let loss = summed_program_mse(covering, leaf.clone(), xq, yq, mask);
        let grads = loss.backward();
        let g = leaf.grad(&grads).expect("the outer leaf has a gradient").mean_dim(0);
        let mut meta = GradientsParams::new();
        meta.register(id, g);
        init = optim.step(config.learning_rate, init, meta);
        progress.inc(1);
    }
    read(init)
}
