//! Training a CompNet: Adam on batches of programs × pairs, the masked MSE of the generated
//! surrogates, validation on held-out programs every epoch, atomic checkpoints and `--resume`.
//!
//! Batch order is a pure function of `(seed, epoch)`, so a run resumed from a checkpoint sees
//! the same batches as one that was never stopped.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use compnet_datasets::c_tokens::EncodedProgram;
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;

use super::adapt::{InnerLoop, first_order};
use super::checkpoint;
use super::covering::CoveringShape;
use super::network::{
    CompNet, CompNetConfig, InitSpread, TokenBatch, masked_mse, masked_mse_per_program, run_covering, saturation,
};
use super::programs::ProgramSet;
use crate::artifacts;
use crate::fit::EpochMetrics;

/// Token sequences are padded to a multiple of this (fewer shapes, fewer GPU kernel builds).
const TOKEN_ROUND: usize = 64;

/// Everything that defines a training run; saved as `config.json` beside its checkpoints.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// The network.
    pub model: CompNetConfig,
    /// Programs per Adam step.
    pub programs_per_step: usize,
    /// I/O pairs per program per step (a random subset of the program's training pairs).
    pub pairs_per_step: usize,
    /// Passes over the training programs.
    pub epochs: usize,
    /// Peak learning rate (after a linear warm-up, cosine-decayed to `final_learning_rate`).
    pub learning_rate: f64,
    /// Learning rate at the last step.
    pub final_learning_rate: f64,
    /// Warm-up steps.
    pub warmup_steps: usize,
    /// Global gradient-norm clip.
    pub grad_clip: f32,
    /// Seed of the initialisation and the batch order.
    pub seed: u64,
    /// Weight of [`saturation`] in the loss (0: plain MSE). Generated surrogates whose hidden
    /// units sit in the sigmoid's flat ends barely move when finetuned.
    #[serde(default)]
    pub saturation_penalty: f64,
    /// Weight of [`InitSpread::weight_scale`] in the loss (0: none): keeps generated weights near a fresh
    /// initialisation's spread.
    #[serde(default)]
    pub weight_penalty: f64,
    /// The meta term (`None`: off): rewards generated surrogates that finetune well.
    #[serde(default)]
    pub meta: Option<MetaTerm>,
    /// Where a fresh CompNet's generated surrogates start (`None`: a Xavier-spread head around 0).
    #[serde(default)]
    pub start: Option<HeadStart>,
    /// The CompNet checkpoint folder a fresh run starts from (its weights; this run's own
    /// optimiser and schedule), e.g. one pretrained on synthetic programs. `None`: a fresh network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<PathBuf>,
    /// A second validation measure, the MSE after a short finetuning (`None`: the plain MSE only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_finetune: Option<ValFinetune>,
}

/// The validation programs' surrogates finetuned before they are scored: each generated surrogate
/// is adapted by `inner` on the first `support` of its program's validation pairs and scored on
/// the rest ([`evaluate_finetuned`]). What a CompNet is for is a start that finetunes well, and
/// the plain validation MSE (the surrogate with no data) has not told which CompNets finetune best
/// (docs/compnet.md); with `select` the run keeps as `best/` the epoch this measure ranks first.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ValFinetune {
    /// The finetuning (`compnet train --val-finetune K`: K Adam steps at the evaluation's 0.01).
    pub inner: InnerLoop,
    /// Pairs each validation program finetunes on; the rest score it.
    pub support: usize,
    /// Whether `best/` is the epoch of the lowest finetuned MSE (else of the lowest plain MSE).
    pub select: bool,
}

/// A fresh CompNet's parameter head moved to a meta-learned start ([`CompNet::start_at`]): the
/// FOMAML initialisation of `compnet eval`, learned from the training files before the first step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeadStart {
    /// FOMAML's meta steps (the evaluation's: 2,000).
    pub fomaml_steps: usize,
    /// The head's text-dependent part, scaled (0: every program starts at FOMAML's surrogate).
    pub head_scale: f32,
}

/// First-order meta-learning through the hypernetwork: each program's generated surrogate is
/// adapted by `inner` on the step's first `support` pairs (the support set), and its MSE on the
/// rest (the query set) after adapting, times `weight`, joins the loss; the gradient reaches the
/// CompNet through the generated start ([`first_order`]). The plain MSE of the start stays in the
/// loss, so the compiled surrogate still serves with no data.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaTerm {
    /// Weight in the loss.
    pub weight: f64,
    /// The adaptation (the evaluation finetunes with Adam, lr 0.01).
    pub inner: InnerLoop,
    /// Support pairs per program (0: half the step's pairs). Few of them rehearse finetuning on
    /// a small share of a program's data, many on all of it.
    #[serde(default)]
    pub support: usize,
}

impl MetaTerm {
    /// `weight ×` the query MSE of the starts `params` (on the tape) adapted on the support pairs.
    pub fn loss(
        &self,
        covering: &CoveringShape,
        params: Tensor<2>,
        x: &Tensor<3>,
        y: &Tensor<3>,
        mask: &Tensor<3>,
    ) -> Tensor<1> {
        let [programs, pairs, _] = x.dims();
        let cut = self.support_pairs(pairs);
        let support = |t: &Tensor<3>| t.clone().slice([0..programs, 0..cut]);
        let query = |t: &Tensor<3>| t.clone().slice([0..programs, cut..pairs]);
        let adapted = self.inner.adapt(covering, params.clone().inner(), &support(x), &support(y), mask);
        let moved = first_order(params, adapted);
        masked_mse(run_covering(covering, moved, query(x)), query(y), mask.clone()).mul_scalar(self.weight)
    }

    /// Support pairs out of a step's `pairs`.
    pub fn support_pairs(&self, pairs: usize) -> usize {
        if self.support == 0 { pairs / 2 } else { self.support }
    }
}

/// Where a run is: saved in every checkpoint.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainState {
    /// Epochs finished.
    pub epochs_done: usize,
    /// Batches of the current epoch already taken.
    pub batches_done: usize,
    /// Sum of the current epoch's batch losses so far.
    pub epoch_loss_sum: f64,
    /// Adam steps taken.
    pub step: usize,
    /// Training seconds before this process (resumed runs add up).
    pub seconds: f64,
    /// Every finished epoch.
    pub history: Vec<EpochMetrics>,
    /// The best epoch's selection score (the validation MSE, or with `ValFinetune::select` the
    /// finetuned one) and the epoch.
    pub best: Option<(f64, usize)>,
}

/// How `train` runs apart from the config: where it writes, when it stops early.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run folder (`checkpoint/`, `best/`, `config.json`, `metrics.csv`, `loss.png`).
    pub out: PathBuf,
    /// Continue from `out/checkpoint` if present.
    pub resume: bool,
    /// Stop (after writing a checkpoint) once this much wall time has passed.
    pub time_limit: Option<Duration>,
    /// Also write a checkpoint this often within an epoch.
    pub checkpoint_every: Duration,
    /// Validation programs evaluated per batch.
    pub eval_programs: usize,
    /// The start's parameters when `config.start` is set and the run starts fresh.
    pub start_params: Option<Vec<f32>>,
}

/// The outcome of [`train`].
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// Final state (history, best epoch).
    pub state: TrainState,
    /// Whether all epochs ran (false: stopped at the time limit).
    pub finished: bool,
    /// Steps per second of this process.
    pub steps_per_second: f64,
}

fn learning_rate(config: &TrainConfig, step: usize, total: usize) -> f64 {
    if step < config.warmup_steps {
        return config.learning_rate * (step + 1) as f64 / config.warmup_steps as f64;
    }
    let t = (step - config.warmup_steps) as f64 / (total.saturating_sub(config.warmup_steps)).max(1) as f64;
    config.final_learning_rate
        + 0.5 * (config.learning_rate - config.final_learning_rate) * (1.0 + (std::f64::consts::PI * t.min(1.0)).cos())
}

/// The batches of one epoch, seeded by `(seed, epoch)`: programs shuffled, grouped by token
/// length (in steps of [`TOKEN_ROUND`], so a batch pads to little more than its own programs),
/// cut into batches, and the batches shuffled.
fn epoch_batches(lengths: &[usize], per_step: usize, seed: u64, epoch: usize) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.shuffle(&mut rng);
    order.sort_by_key(|&p| lengths[p].div_ceil(TOKEN_ROUND)); // stable: random within a length group
    let mut batches: Vec<Vec<usize>> = order.chunks(per_step).map(<[usize]>::to_vec).collect();
    batches.shuffle(&mut rng);
    batches
}

/// Per program, a loss of its generated surrogate on its pairs: `score(params, x, y, mask)` gives
/// one value per program of a batch of `batch` programs (`[n, n_params]` generated parameters,
/// `[n, pairs, n_in]` inputs, `[n, pairs, n_out]` outputs, `[n, 1, n_out]` output mask).
fn per_program(
    net: &CompNet,
    set: &ProgramSet,
    device: &Device,
    batch: usize,
    what: &str,
    score: impl Fn(Tensor<2>, Tensor<3>, Tensor<3>, Tensor<3>) -> Tensor<1>,
) -> anyhow::Result<Vec<f64>> {
    let mut per_program = Vec::with_capacity(set.len());
    let (xi, yo) = (set.pairs * set.n_in, set.pairs * set.n_out);
    for start in (0..set.len()).step_by(batch.max(1)) {
        let end = (start + batch).min(set.len());
        let n = end - start;
        let seqs: Vec<&EncodedProgram> = set.programs[start..end].iter().map(|p| &p.tokens).collect();
        let params = net.generate(TokenBatch::new(&seqs, TOKEN_ROUND, net.max_tokens(), device));
        let x = Tensor::<3>::from_data(
            TensorData::new(set.inputs[start * xi..end * xi].to_vec(), [n, set.pairs, set.n_in]),
            device,
        );
        let y = Tensor::<3>::from_data(
            TensorData::new(set.outputs[start * yo..end * yo].to_vec(), [n, set.pairs, set.n_out]),
            device,
        );
        let mask = Tensor::<3>::from_data(
            TensorData::new(set.mask[start * set.n_out..end * set.n_out].to_vec(), [n, 1, set.n_out]),
            device,
        );
        let losses: Vec<f32> = score(params, x, y, mask)
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("reading {what} losses: {e:?}"))?;
        per_program.extend(losses.into_iter().map(f64::from));
    }
    Ok(per_program)
}

/// Mean over programs of each program's masked MSE on its pairs, with the generated surrogates.
pub fn evaluate(net: &CompNet, set: &ProgramSet, device: &Device, batch: usize) -> anyhow::Result<Vec<f64>> {
    per_program(net, set, device, batch, "validation", |params, x, y, mask| {
        masked_mse_per_program(net.run_surrogates(params, x), y, mask)
    })
}

impl ValFinetune {
    /// Refuses a support that leaves none of a program's `pairs` to score.
    pub fn check(&self, pairs: usize) -> anyhow::Result<()> {
        ensure!(
            self.support >= 1 && self.support < pairs,
            "--val-support {} must leave at least one of the {pairs} validation pairs per program to score",
            self.support
        );
        Ok(())
    }
}

/// Per program, the MSE on its pairs after `support` of them finetuned its generated surrogate:
/// `finetune.inner` on pairs `0..support`, scored on pairs `support..` (with no steps, the plain
/// MSE on those pairs). Programs adapt side by side, each on its own loss ([`InnerLoop::adapt`]).
pub fn evaluate_finetuned(
    net: &CompNet,
    set: &ProgramSet,
    device: &Device,
    batch: usize,
    finetune: &ValFinetune,
) -> anyhow::Result<Vec<f64>> {
    finetune.check(set.pairs)?;
    let covering = net.covering();
    let (fit, scored) = (0..finetune.support, finetune.support..set.pairs);
    per_program(net, set, device, batch, "finetuned validation", |params, x, y, mask| {
        let n = x.dims()[0];
        // The inner loop takes its pairs on an autodiff device and the starts off it.
        let adapted = finetune.inner.adapt(
            covering,
            params,
            &x.clone().slice([0..n, fit.clone()]).autodiff(),
            &y.clone().slice([0..n, fit.clone()]).autodiff(),
            &mask.clone().autodiff(),
        );
        let predicted = run_covering(covering, adapted, x.slice([0..n, scored.clone()]));
        masked_mse_per_program(predicted, y.slice([0..n, scored.clone()]), mask)
    })
}

/// The mean over programs of a validation measure (0 for none).
pub(crate) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Trains a CompNet on `train` (each program's training pairs), validating on `val` (held-out
/// programs' test pairs) after every epoch.
pub fn train(
    config: &TrainConfig,
    train_set: &ProgramSet,
    val_set: &ProgramSet,
    device: &Device,
    options: &RunOptions,
    progress: &ProgressBar,
) -> anyhow::Result<TrainOutcome> {
    ensure!(!train_set.is_empty(), "no training programs (every program was skipped: {})", train_set.describe());
    ensure!(!val_set.is_empty(), "no validation programs: {}", val_set.describe());
    ensure!(config.programs_per_step > 0 && config.pairs_per_step > 0, "batch sizes must be positive");
    ensure!(
        config.pairs_per_step <= train_set.pairs,
        "--pairs-per-step {} exceeds the {} training pairs kept per program",
        config.pairs_per_step,
        train_set.pairs
    );
    if let Some(meta) = &config.meta {
        let support = meta.support_pairs(config.pairs_per_step);
        ensure!(
            support >= 1 && support < config.pairs_per_step,
            "the meta term splits a step's {} pairs into {support} support pairs and the query: \
             --meta-support must leave at least one of --pairs-per-step for each",
            config.pairs_per_step
        );
    }
    // Before the first epoch, not after it.
    if let Some(finetune) = &config.val_finetune {
        finetune.check(val_set.pairs)?;
    }
    let ckpt_dir = options.out.join("checkpoint");
    let best_dir = options.out.join("best");
    let train_device = device.clone().autodiff();

    let (mut net, mut optim, mut state) = match checkpoint::resolve(&ckpt_dir).filter(|_| options.resume) {
        Some(dir) => {
            let saved: TrainConfig = read_json(&options.out.join("config.json"))?;
            ensure!(
                saved == *config,
                "--resume with a different configuration than {} (start a new --out, or resume with the same flags)",
                options.out.join("config.json").display()
            );
            let (net, _) = checkpoint::load_model(&dir, &train_device)?;
            let optim = adam(config)
                .load(dir.join("optimizer.bpk"))
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e:?}", dir.join("optimizer.bpk").display()))?;
            let state: TrainState = read_json(&dir.join("state.json"))?;
            (net, optim, state)
        }
        None => {
            ensure!(
                !options.resume || !ckpt_dir.exists(),
                "--resume: {} exists but holds no complete checkpoint",
                ckpt_dir.display()
            );
            train_device.seed(config.seed);
            let mut net = match &config.init {
                Some(dir) => checkpoint::load_model_as(dir, &config.model, &train_device)
                    .with_context(|| format!("--init {}", dir.display()))?,
                None => config.model.init(&train_device, config.seed)?,
            };
            if let Some(start) = &config.start {
                let params = options.start_params.as_deref().context("a head start without its parameters")?;
                net = net.start_at(params, start.head_scale)?;
            }
            (net, adam(config), TrainState::default())
        }
    };
    std::fs::create_dir_all(&options.out).with_context(|| format!("cannot create {}", options.out.display()))?;
    artifacts::write_json(&options.out.join("config.json"), config)?;

    let data = train_set.upload(&train_device);
    let spread = InitSpread::new(&config.model.covering, &train_device);
    let steps_per_epoch = train_set.len().div_ceil(config.programs_per_step);
    let total_steps = steps_per_epoch * config.epochs;
    let started = Instant::now();
    let steps_at_start = state.step;
    let mut last_checkpoint = Instant::now();
    let all_pairs: Vec<usize> = (0..train_set.pairs).collect();
    let lengths: Vec<usize> = train_set.programs.iter().map(|p| p.tokens.len()).collect();
    progress.set_length(total_steps as u64);
    progress.set_position(state.step as u64);

    let save = |net: &CompNet, optim: &ModuleOptimizer, state: &TrainState| -> anyhow::Result<()> {
        checkpoint::replace_dir(&ckpt_dir, |dir| {
            checkpoint::write_model(dir, net, &config.model)?;
            optim
                .save(dir.join("optimizer.bpk"))
                .map_err(|e| anyhow::anyhow!("cannot write the optimizer state: {e:?}"))?;
            artifacts::write_json(&dir.join("state.json"), state)
        })
    };

    let mut unread_loss: Vec<Tensor<1>> = Vec::new();
    while state.epochs_done < config.epochs {
        let epoch = state.epochs_done + 1;
        let batches = epoch_batches(&lengths, config.programs_per_step, config.seed, epoch);
        for batch in batches.iter().skip(state.batches_done) {
            let seqs: Vec<&EncodedProgram> = batch.iter().map(|&p| &train_set.programs[p].tokens).collect();
            let tokens = TokenBatch::new(&seqs, TOKEN_ROUND, config.model.max_tokens, &train_device);
            // Seeded by the step, so a resumed run picks the same pairs.
            let pick = (config.pairs_per_step < train_set.pairs).then(|| {
                let mut rng =
                    ChaCha8Rng::seed_from_u64(config.seed ^ (state.step as u64 + 1).wrapping_mul(0xa076_1d64));
                let mut pick: Vec<usize> =
                    all_pairs.choose_multiple(&mut rng, config.pairs_per_step).copied().collect();
                pick.sort_unstable();
                pick
            });
            let (x, y, mask) = data.batch(batch, pick.as_deref(), &train_device);
            let params = net.generate(tokens);
            let meta_term = config.meta.as_ref().map(|m| m.loss(&config.model.covering, params.clone(), &x, &y, &mask));
            // Only the saturation penalty needs the hidden pre-activations (docs/compnet.md).
            let (predicted, saturation_term) = if config.saturation_penalty > 0.0 {
                let (predicted, pre) = net.run_surrogates_traced(params.clone(), x);
                (predicted, Some(saturation(&pre).mul_scalar(config.saturation_penalty)))
            } else {
                (net.run_surrogates(params.clone(), x), None)
            };
            let mse = masked_mse(predicted, y, mask);
            // The loss stays on the device (reading it each step would wait for the GPU); it is
            // read when a checkpoint or the epoch's metrics need it. The metrics report the MSE
            // alone, so that runs with and without the penalties compare.
            unread_loss.push(mse.clone().detach());
            let mut loss = mse;
            if let Some(term) = saturation_term {
                loss = loss + term;
            }
            if config.weight_penalty > 0.0 {
                loss = loss + spread.weight_scale(params).mul_scalar(config.weight_penalty);
            }
            if let Some(term) = meta_term {
                loss = loss + term;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(learning_rate(config, state.step, total_steps), net, grads);
            state.step += 1;
            state.batches_done += 1;
            progress.set_position(state.step as u64);
            let out_of_time = options.time_limit.is_some_and(|t| started.elapsed() >= t);
            if out_of_time || last_checkpoint.elapsed() >= options.checkpoint_every {
                read_loss(&mut unread_loss, &mut state, epoch)?;
                progress.set_message(format!(
                    "epoch {epoch}/{}  mean loss {:.3e}",
                    config.epochs,
                    state.epoch_loss_sum / state.batches_done.max(1) as f64
                ));
                let mut saved = state.clone();
                saved.seconds += started.elapsed().as_secs_f64();
                save(&net, &optim, &saved)?;
                last_checkpoint = Instant::now();
            }
            if out_of_time {
                state.seconds += started.elapsed().as_secs_f64();
                return Ok(outcome(state, false, steps_at_start, started));
            }
        }

        read_loss(&mut unread_loss, &mut state, epoch)?;
        let valid = net.valid();
        let val = mean(&evaluate(&valid, val_set, device, options.eval_programs)?);
        let finetuned = match &config.val_finetune {
            Some(f) => Some(mean(&evaluate_finetuned(&valid, val_set, device, options.eval_programs, f)?)),
            None => None,
        };
        let score = match (&config.val_finetune, finetuned) {
            (Some(f), Some(v)) if f.select => v,
            _ => val,
        };
        ensure!(score.is_finite(), "epoch {epoch}: the validation score is {score}; lower --lr");
        let metrics = EpochMetrics {
            epoch,
            train_loss: state.epoch_loss_sum / state.batches_done.max(1) as f64,
            val_mse: val,
            learning_rate: learning_rate(config, state.step, total_steps),
            seconds: state.seconds + started.elapsed().as_secs_f64(),
            val_finetuned: finetuned,
        };
        state.history.push(metrics);
        state.epochs_done = epoch;
        state.batches_done = 0;
        state.epoch_loss_sum = 0.0;
        if state.best.is_none_or(|(b, _)| score < b) {
            state.best = Some((score, epoch));
            checkpoint::replace_dir(&best_dir, |dir| checkpoint::write_model(dir, &valid, &config.model))?;
        }
        let mut saved = state.clone();
        saved.seconds += started.elapsed().as_secs_f64();
        save(&net, &optim, &saved)?;
        last_checkpoint = Instant::now();
        // The plot is a convenience: failing to draw it must not stop a training run.
        if let Err(e) = write_curves(&options.out, &state) {
            progress.suspend(|| eprintln!("warning: cannot write metrics.csv / loss.png: {e:#}"));
        }
        progress.suspend(|| {
            eprintln!(
                "epoch {epoch:>4}  train {:.4e}  val {val:.4e}{}  {:.0} s",
                state.history.last().map_or(0.0, |m| m.train_loss),
                finetuned.map_or(String::new(), |v| format!("  val finetuned {v:.4e}")),
                saved.seconds
            )
        });
    }
    state.seconds += started.elapsed().as_secs_f64();
    Ok(outcome(state, true, steps_at_start, started))
}

/// Adds the batch losses still on the device to the state (one by one, in order, so the sum
/// does not depend on when they are read), failing on divergence.
fn read_loss(unread: &mut Vec<Tensor<1>>, state: &mut TrainState, epoch: usize) -> anyhow::Result<()> {
    if unread.is_empty() {
        return Ok(());
    }
    let losses: Vec<f32> = Tensor::cat(std::mem::take(unread), 0)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading the training losses: {e:?}"))?;
    for value in losses {
        ensure!(
            value.is_finite(),
            "training diverged in epoch {epoch}, before step {} (loss {value}); lower --lr",
            state.step
        );
        state.epoch_loss_sum += value as f64;
    }
    Ok(())
}

fn outcome(state: TrainState, finished: bool, steps_at_start: usize, started: Instant) -> TrainOutcome {
    let steps_per_second = (state.step - steps_at_start) as f64 / started.elapsed().as_secs_f64().max(1e-9);
    TrainOutcome { state, finished, steps_per_second }
}

fn adam(config: &TrainConfig) -> ModuleOptimizer {
    AdamConfig::new()
        .with_epsilon(1e-8)
        .with_grad_clipping(Some(burn::optim::grad_clipping::GradientClippingConfig::Norm(config.grad_clip)))
        .init()
}

/// `metrics.csv` and `loss.png` of the run so far.
pub fn write_curves(out: &Path, state: &TrainState) -> anyhow::Result<()> {
    artifacts::write_metrics_csv(&out.join("metrics.csv"), &state.history)?;
    let best = state.best.map_or(0, |(_, e)| e);
    artifacts::write_loss_plot(&out.join("loss.png"), "compnet train", &state.history, best)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The meta term is `weight ×` the MSE on the pairs after the first `support`, of the start
    /// adapted on those first pairs: checked against the split made by hand from the raw pairs.
    #[test]
    fn meta_term_adapts_on_the_support_and_scores_the_query() {
        let device = Device::flex();
        let covering = CoveringShape { n_in: 2, hidden: vec![4], n_out: 1, activation: "sigmoid".into() };
        let (programs, pairs, n) = (2, 6, covering.n_params());
        let xs: Vec<f32> = (0..programs * pairs * 2).map(|i| ((i * 29 % 53) as f32 / 26.0) - 1.0).collect();
        let ys: Vec<f32> = xs.chunks(2).map(|p| (2.0 * p[0]).sin() - p[1]).collect();
        let start: Vec<f32> = [covering.random_params(3), covering.random_params(4)].concat();
        let on_tape =
            |v: Vec<f32>, shape: [usize; 3]| Tensor::<3>::from_data(TensorData::new(v, shape), &device).autodiff();
        // Rows `lo..hi` of every program's pairs.
        let rows = |v: &[f32], width: usize, lo: usize, hi: usize| -> Vec<f32> {
            v.chunks(pairs * width).flat_map(|p| p[lo * width..hi * width].to_vec()).collect()
        };
        let mask = on_tape(vec![1.0; programs], [programs, 1, 1]);
        for (support, cut) in [(2, 2), (0, 3)] {
            let term = MetaTerm {
                weight: 0.5,
                inner: InnerLoop {
                    steps: 4,
                    learning_rate: 0.05,
                    optimizer: super::super::adapt::InnerOptimizer::Adam,
                },
                support,
            };
            assert_eq!(term.support_pairs(pairs), cut);
            let theta = Tensor::<2>::from_data(TensorData::new(start.clone(), [programs, n]), &device)
                .autodiff()
                .require_grad();
            let x = on_tape(xs.clone(), [programs, pairs, 2]);
            let y = on_tape(ys.clone(), [programs, pairs, 1]);
            let got: f32 = term.loss(&covering, theta.clone(), &x, &y, &mask).into_scalar();

            let (sx, sy) =
                (on_tape(rows(&xs, 2, 0, cut), [programs, cut, 2]), on_tape(rows(&ys, 1, 0, cut), [programs, cut, 1]));
            let q = pairs - cut;
            let (qx, qy) = (
                on_tape(rows(&xs, 2, cut, pairs), [programs, q, 2]),
                on_tape(rows(&ys, 1, cut, pairs), [programs, q, 1]),
            );
            let adapted = term.inner.adapt(&covering, theta.clone().inner(), &sx, &sy, &mask);
            let want: f32 = masked_mse(run_covering(&covering, adapted.autodiff(), qx), qy, mask.clone())
                .into_scalar::<f32>()
                * 0.5;
            assert!((got - want).abs() < 1e-6 * want.max(1.0), "support {support}: term {got}, by hand {want}");
        }
    }

    /// The finetuned validation: with no steps it is the plain MSE on the pairs after the support
    /// (checked against [`evaluate`] of the same programs cut to those pairs); with steps it is
    /// lower on a function the support pairs show; a support that leaves nothing to score is refused.
    #[test]
    fn finetuned_validation_scores_the_pairs_after_the_support() {
        use compnet_datasets::c_tokens::EncodedProgram;

        use super::super::adapt::InnerOptimizer;
        use super::super::programs::ProgramTokens;

        let device = Device::flex();
        let covering = CoveringShape { n_in: 2, hidden: vec![4], n_out: 1, activation: "sigmoid".into() };
        let net = CompNetConfig::bert_tiny(12, covering.clone()).init(&device, 0).unwrap().valid();
        let (programs, pairs, cut) = (3, 10, 4);
        let inputs: Vec<f32> = (0..programs * pairs * 2).map(|i| ((i * 29 % 53) as f32 / 26.0) - 1.0).collect();
        // Far from a fresh surrogate's outputs, and the same on the support and the scored pairs.
        let outputs: Vec<f32> = inputs.chunks(2).map(|p| 2.0 + 0.3 * p[0] - 0.2 * p[1]).collect();
        let tokens = |k: u32| EncodedProgram { ids: vec![1, 4 + k, 5, 6 + k], values: vec![0.0; 4] };
        let set = ProgramSet {
            n_in: 2,
            n_out: 1,
            pairs,
            programs: (0..programs as u32)
                .map(|k| ProgramTokens { name: format!("p{k}"), n_in: 2, n_out: 1, tokens: tokens(k) })
                .collect(),
            inputs: inputs.clone(),
            outputs: outputs.clone(),
            mask: vec![1.0; programs],
            ..ProgramSet::default()
        };
        let rows = |v: &[f32], width: usize| -> Vec<f32> {
            v.chunks(pairs * width).flat_map(|p| p[cut * width..].to_vec()).collect()
        };
        let tail =
            ProgramSet { pairs: pairs - cut, inputs: rows(&inputs, 2), outputs: rows(&outputs, 1), ..set.clone() };
        let want = evaluate(&net, &tail, &device, 2).unwrap();
        let finetune = |steps| ValFinetune {
            inner: InnerLoop { steps, learning_rate: 0.05, optimizer: InnerOptimizer::Adam },
            support: cut,
            select: true,
        };
        let untouched = evaluate_finetuned(&net, &set, &device, 2, &finetune(0)).unwrap();
        assert_eq!(untouched.len(), programs);
        for (got, want) in untouched.iter().zip(&want) {
            assert!((got - want).abs() < 1e-5 * want.max(1.0), "no steps {got}, plain MSE on the tail {want}");
        }
        let tuned = evaluate_finetuned(&net, &set, &device, 2, &finetune(40)).unwrap();
        for (t, u) in tuned.iter().zip(&untouched) {
            assert!(*t < 0.5 * u, "40 steps on the support pairs: {u} → {t}");
        }
        let all = ValFinetune { support: pairs, ..finetune(1) };
        let err = evaluate_finetuned(&net, &set, &device, 2, &all).unwrap_err().to_string();
        assert!(err.contains("--val-support 10 must leave at least one of the 10"), "{err}");
    }

    #[test]
    fn schedule_warms_up_then_decays() {
        let config = TrainConfig {
            model: CompNetConfig::bert_tiny(10, Default::default()),
            programs_per_step: 2,
            pairs_per_step: 2,
            epochs: 1,
            learning_rate: 1e-3,
            final_learning_rate: 1e-5,
            warmup_steps: 10,
            grad_clip: 1.0,
            seed: 0,
            saturation_penalty: 0.0,
            weight_penalty: 0.0,
            meta: None,
            start: None,
            init: None,
            val_finetune: None,
        };
        assert!((learning_rate(&config, 0, 100) - 1e-4).abs() < 1e-12);
        assert!((learning_rate(&config, 9, 100) - 1e-3).abs() < 1e-12);
        assert!((learning_rate(&config, 10, 100) - 1e-3).abs() < 1e-12);
        assert!((learning_rate(&config, 100, 100) - 1e-5).abs() < 1e-12);
        let lengths: Vec<usize> = (0..40).map(|k| if k % 4 == 0 { 300 } else { 40 + k }).collect();
        let b1 = epoch_batches(&lengths, 5, 5, 1);
        assert_eq!(b1, epoch_batches(&lengths, 5, 5, 1));
        assert_ne!(b1, epoch_batches(&lengths, 5, 5, 2));
        let mut all: Vec<usize> = b1.concat();
        all.sort();
        assert_eq!(all, (0..40).collect::<Vec<_>>());
        // The 10 long programs fill two batches of their own.
        assert_eq!(b1.iter().filter(|b| b.iter().all(|&p| lengths[p] == 300)).count(), 2);
    }
}
