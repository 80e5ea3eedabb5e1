//! Training a surrogate from random initialisation on a program's I/O pairs.
//!
//! Adam on mini-batches of standardised pairs with a cosine learning-rate schedule; a held-out
//! validation split is evaluated after every epoch *through the runtime's kernel* on raw values,
//! and the epoch with the lowest validation MSE is the one kept.

use std::time::Instant;

use anyhow::{Context, ensure};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use compnet_datasets::IoPairs;
use compnet_runtime::{Activation, Metadata, Surrogate};
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::model::{SurrogateMlp, Topology};
use crate::normalize;

/// Hyper-parameters of `compnet fit`, saved as `config.json` beside every run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitConfig {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Activation of the hidden layers (`sigmoid`, `tanh`, `relu`); the output layer is linear.
    pub activation: String,
    /// Passes over the training split.
    pub epochs: usize,
    /// Pairs per Adam step.
    pub batch_size: usize,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// Learning rate reached at the last step (cosine decay).
    pub final_learning_rate: f64,
    /// Share of the training pairs held out for validation and best-epoch selection.
    pub validation_fraction: f64,
    /// Seed of the split, the initialisation and the batch order.
    pub seed: u64,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            hidden: vec![8],
            activation: "sigmoid".into(),
            epochs: 60,
            batch_size: 128,
            learning_rate: 1e-2,
            final_learning_rate: 1e-4,
            validation_fraction: 0.2,
            seed: 0,
        }
    }
}

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss (MSE on standardised outputs).
    pub train_loss: f64,
    /// Validation MSE on raw outputs, through the runtime.
    pub val_mse: f64,
    /// Learning rate at the end of the epoch.
    pub learning_rate: f64,
    /// Seconds since the start of training.
    pub seconds: f64,
    /// CompNet training with `--val-finetune`: the validation programs' MSE after a short
    /// finetuning of their generated surrogates ([`crate::compnet::train::ValFinetune`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_finetuned: Option<f64>,
}

/// The result of a fit.
#[derive(Debug, Clone)]
pub struct FitResult {
    /// The surrogate of the best validation epoch.
    pub surrogate: Surrogate,
    /// Every epoch's metrics.
    pub history: Vec<EpochMetrics>,
    /// The epoch the surrogate comes from.
    pub best_epoch: usize,
    /// Its validation MSE.
    pub best_val_mse: f64,
    /// Optimiser steps taken.
    pub steps: usize,
}

/// Mean squared error between two row-major buffers of the same shape.
pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "mse of buffers of different lengths");
    a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum::<f64>() / a.len().max(1) as f64
}

/// The MSE of the best constant for row-major `outputs` of `n_out` columns: each column's mean
/// predicted for every row (the columns' variances, averaged). A surrogate no better than this
/// has learnt the outputs' level, not the function.
pub fn constant_mse(outputs: &[f32], n_out: usize) -> f64 {
    assert!(n_out > 0 && outputs.len().is_multiple_of(n_out), "{} outputs in rows of {n_out}", outputs.len());
    let rows = (outputs.len() / n_out).max(1) as f64;
    let mut mean = vec![0.0f64; n_out];
    for row in outputs.chunks_exact(n_out) {
        mean.iter_mut().zip(row).for_each(|(m, &v)| *m += f64::from(v) / rows);
    }
    let squares: f64 = outputs
        .chunks_exact(n_out)
        .flat_map(|row| row.iter().zip(&mean).map(|(&v, m)| (f64::from(v) - m).powi(2)))
        .sum();
    squares / outputs.len().max(1) as f64
}

/// Trains a surrogate of `pairs` (split into training and validation) from random weights.
pub fn fit(
    pairs: &IoPairs,
    meta: Metadata,
    domain: Vec<(f32, f32)>,
    config: &FitConfig,
    device: &Device,
    progress: &ProgressBar,
) -> anyhow::Result<FitResult> {
    fit_from(pairs, None, meta, domain, config, device, progress)
}

/// Trains a surrogate of `pairs` starting from `init` (finetuning: its layers and normalisation
/// are kept, `config.hidden` and `config.activation` are ignored) or, without `init`, from
/// random weights with standardised inputs and outputs.
pub fn fit_from(
    pairs: &IoPairs,
    init: Option<&Surrogate>,
    meta: Metadata,
    domain: Vec<(f32, f32)>,
    config: &FitConfig,
    device: &Device,
    progress: &ProgressBar,
) -> anyhow::Result<FitResult> {
    ensure!(config.batch_size > 0 && config.epochs > 0, "epochs and batch size must be positive");
    let (train, val) = pairs.split(1.0 - config.validation_fraction, config.seed);
    ensure!(train.len() >= 2 && !val.is_empty(), "too few pairs to train and validate: {} in all", pairs.len());
    let (n_in, n_out) = (pairs.n_in(), pairs.n_out());
    if let Some(s) = init {
        let widths = s.widths();
        ensure!(
            widths.first() == Some(&n_in) && widths.last() == Some(&n_out),
            "the initial surrogate is {widths:?} but the pairs have {n_in} inputs and {n_out} outputs"
        );
    }

    let input_norm = init.map_or_else(|| normalize::standardiser(train.inputs(), n_in), |s| s.input_norm.clone());
    let target_norm =
        init.map_or_else(|| normalize::standardiser(train.outputs(), n_out), |s| normalize::inverse(&s.output_norm));
    let mut xs = train.inputs().to_vec();
    let mut ys = train.outputs().to_vec();
    normalize::apply(&input_norm, &mut xs);
    normalize::apply(&target_norm, &mut ys);
    let output_norm = init.map_or_else(|| normalize::inverse(&target_norm), |s| s.output_norm.clone());

    let device = device.clone().autodiff();
    device.seed(config.seed);
    let n = train.len();
    let x_all = Tensor::<2>::from_data(TensorData::new(xs, [n, n_in]), &device);
    let y_all = Tensor::<2>::from_data(TensorData::new(ys, [n, n_out]), &device);

    let mut model = match init {
        Some(s) => SurrogateMlp::from_surrogate(s, &device),
        None => {
            let activation = Activation::from_name(&config.activation).with_context(|| {
                format!("unknown activation {:?} (known: sigmoid, tanh, relu, identity)", config.activation)
            })?;
            SurrogateMlp::new(&Topology::mlp(n_in, &config.hidden, n_out, activation), &device)?
        }
    };
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5eed);
    let mut order: Vec<i64> = (0..n as i64).collect();
    let steps_per_epoch = n.div_ceil(config.batch_size);
    let total_steps = steps_per_epoch * config.epochs;
    let lr_at = |step: usize| {
        let t = step as f64 / total_steps.max(1) as f64;
        config.final_learning_rate
            + 0.5 * (config.learning_rate - config.final_learning_rate) * (1.0 + (std::f64::consts::PI * t).cos())
    };

    let start = Instant::now();
    let mut history = Vec::with_capacity(config.epochs);
    let mut best: Option<(f64, usize, Surrogate)> = None;
    let mut step = 0;
    progress.set_length(config.epochs as u64);
    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0f64;
        for batch in order.chunks(config.batch_size) {
            let idx = Tensor::<1, Int>::from_data(TensorData::new(batch.to_vec(), [batch.len()]), &device);
            let xb = x_all.clone().select(0, idx.clone());
            let yb = y_all.clone().select(0, idx);
            let loss = (model.forward(xb) - yb).square().mean();
            loss_sum += loss.clone().into_scalar::<f32>() as f64 * batch.len() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr_at(step), model, grads);
            step += 1;
        }
        let surrogate = model
            .to_surrogate(meta.clone(), domain.clone(), input_norm.clone(), output_norm.clone())
            .context("the trained weights do not form a valid surrogate (diverged?)")?;
        let val_mse = mse(&surrogate.eval_batch(val.inputs())?, val.outputs());
        let train_loss = loss_sum / n as f64;
        ensure!(train_loss.is_finite(), "training diverged at epoch {epoch} (loss {train_loss}); lower --lr");
        history.push(EpochMetrics {
            epoch,
            train_loss,
            val_mse,
            learning_rate: lr_at(step),
            seconds: start.elapsed().as_secs_f64(),
            val_finetuned: None,
        });
        if best.as_ref().is_none_or(|(b, _, _)| val_mse < *b) {
            best = Some((val_mse, epoch, surrogate));
        }
        progress.set_message(format!("train {train_loss:.3e}  val {val_mse:.3e}"));
        progress.inc(1);
    }
    let (best_val_mse, best_epoch, surrogate) = best.expect("at least one epoch ran");
    Ok(FitResult { surrogate, history, best_epoch, best_val_mse, steps: step })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_constant_scores_each_column_s_variance() {
        // Column 0: 1, 3 (variance 1); column 1: 5, 5 (variance 0).
        assert!((constant_mse(&[1.0, 5.0, 3.0, 5.0], 2) - 0.5).abs() < 1e-12);
        assert_eq!(constant_mse(&[2.0, 2.0, 2.0], 1), 0.0);
        // No other constant does better: the mean minimises the squared error.
        let y = [0.3f32, -1.2, 0.8, 2.5, -0.4];
        let best = constant_mse(&y, 1);
        for c in [-1.0f32, 0.0, 0.4, 0.5, 1.0] {
            assert!(mse(&[c; 5], &y) >= best - 1e-12);
        }
    }

    /// A fit of a smooth 2→1 function must beat the constant predictor by a wide margin, and
    /// the kept surrogate's validation MSE is the minimum of the history.
    #[test]
    fn fit_learns_a_smooth_function() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let xs: Vec<f32> = (0..4000).map(|_| rand::Rng::random_range(&mut rng, -1.0..1.0)).collect();
        let ys: Vec<f32> = xs.chunks(2).map(|p| (3.0 * p[0]).sin() * p[1] + 0.5).collect();
        let pairs = IoPairs::new(2, 1, xs, ys.clone()).unwrap();
        let config = FitConfig { hidden: vec![16], epochs: 80, batch_size: 64, ..FitConfig::default() };
        let r =
            fit(&pairs, Metadata::named("t"), vec![(-1.0, 1.0); 2], &config, &Device::flex(), &ProgressBar::hidden())
                .unwrap();
        let mean = ys.iter().map(|&y| y as f64).sum::<f64>() / ys.len() as f64;
        let var = ys.iter().map(|&y| (y as f64 - mean).powi(2)).sum::<f64>() / ys.len() as f64;
        assert!(r.best_val_mse < var / 20.0, "val mse {} vs variance {var}", r.best_val_mse);
        let min = r.history.iter().map(|h| h.val_mse).fold(f64::INFINITY, f64::min);
        assert_eq!(r.best_val_mse, min);
        assert!(r.history.last().unwrap().train_loss < r.history[0].train_loss);
    }
}
