//! A compiled surrogate's function moved into a fresh random surrogate, with no data.
//!
//! CompNet's surrogates carry the function in a few large, sharp hidden units and park the rest
//! (docs/compnet.md, "Sparse compiled surrogates"): a good answer, and a parameterisation that
//! finetunes to higher floors than a random start at 10 and 100 % of the data. Distillation keeps
//! the answer and drops the parameterisation: a random initialisation (RND's draw, another seed)
//! is trained by the finetuning's own Adam to reproduce the compiled surrogate on inputs sampled
//! uniformly from the program's domain. It needs no pairs of the real function, only the compiled
//! surrogate, so it is part of compiling.

use compnet_runtime::Metadata;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use burn::tensor::Device;

use super::finetune::{FinetuneConfig, PairBlock, Tasks, finetune};
use crate::compnet::CoveringShape;

/// How a compiled surrogate is distilled.
#[derive(Debug, Clone, PartialEq)]
pub struct DistillConfig {
    /// Inputs sampled uniformly from the domain to train on.
    pub points: usize,
    /// Inputs sampled to pick the epoch by.
    pub val_points: usize,
    /// Full-batch Adam steps.
    pub epochs: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
}

impl Default for DistillConfig {
    fn default() -> Self {
        DistillConfig { points: 2048, val_points: 512, epochs: 1000, learning_rate: 0.01 }
    }
}

/// One program to distil: its compiled parameters (in its domain's frame), inputs and outputs.
#[derive(Debug, Clone, Copy)]
pub struct Teacher<'a> {
    /// The compiled surrogate's flat parameters (the covering's layout).
    pub params: &'a [f32],
    /// Real inputs.
    pub n_in: usize,
    /// Real outputs.
    pub n_out: usize,
    /// Seeds the sampled inputs and the student's random start.
    pub seed: u64,
}

/// `[teachers, n_params]`: for each teacher, a random start trained to compute what it computes
/// on its domain (inputs normalised onto [−1, 1], the covering's frame), all in one batched run.
pub fn distill(
    covering: &CoveringShape,
    teachers: &[Teacher<'_>],
    config: &DistillConfig,
    device: &Device,
) -> anyhow::Result<Vec<f32>> {
    let (mut train, mut val, mut init, mut out_mask) = (vec![], vec![], vec![], vec![]);
    for (k, t) in teachers.iter().enumerate() {
        let surrogate = covering
            .surrogate(t.params, Metadata::named("teacher"), &vec![(-1.0, 1.0); t.n_in], t.n_out)
            .map_err(|e| anyhow::anyhow!("teacher {k}: {e}"))?;
        let mut rng = ChaCha8Rng::seed_from_u64(t.seed ^ 0xd157_111e);
        let mut sample = |n: usize| -> anyhow::Result<(Vec<f32>, Vec<f32>)> {
            let (mut x, mut y) = (Vec::with_capacity(n * covering.n_in), Vec::with_capacity(n * covering.n_out));
            for _ in 0..n {
                let row: Vec<f32> = (0..t.n_in).map(|_| rng.random_range(-1.0f32..=1.0)).collect();
                let out = surrogate.eval_batch(&row).map_err(|e| anyhow::anyhow!("teacher {k}: {e}"))?;
                x.extend_from_slice(&row);
                x.resize(x.len() + covering.n_in - t.n_in, 0.0);
                y.extend_from_slice(&out);
                y.resize(y.len() + covering.n_out - t.n_out, 0.0);
            }
            Ok((x, y))
        };
        train.push(sample(config.points)?);
        val.push(sample(config.val_points)?);
        init.extend(covering.random_params(t.seed.rotate_left(29) ^ 0x5eed_d157));
        out_mask.extend(covering.output_mask(t.n_out));
    }
    let (n_in, n_out) = (covering.n_in, covering.n_out);
    let tasks = Tasks {
        m: teachers.len(),
        train: PairBlock::pack(&train, n_in, n_out),
        val: PairBlock::pack(&val, n_in, n_out),
        test: PairBlock::pack(&val, n_in, n_out),
        out_mask,
    };
    let finetune_config = FinetuneConfig {
        epochs: config.epochs,
        learning_rate: config.learning_rate,
        record_every: config.epochs.max(1),
    };
    Ok(finetune(covering, &init, &tasks, &finetune_config, device)?.best_params)
}
