//! `compnet train` (CompNet training) and `compnet bench-train` (its throughput).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use burn::tensor::{Device, Tensor, TensorData};
use clap::Args;
use compnet_datasets::c_tokens::{EncodedProgram, Vocabulary};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::artifacts;
use crate::compnet::CoveringShape;
use crate::compnet::adapt::{InnerLoop, InnerOptimizer};
use crate::compnet::checkpoint;
use crate::compnet::network::{CompNetConfig, Pooling, TokenBatch, masked_mse};
use crate::compnet::programs::{PairSplit, ProgramSet};
use crate::compnet::train::{
    HeadStart, MetaTerm, RunOptions, TrainConfig, ValFinetune, evaluate, evaluate_finetuned, mean, train, write_curves,
};
use crate::eval::baselines::{BASELINE_PAIRS, BaselineConfig, baseline_programs, fomaml};

#[derive(Debug, Args)]
pub(super) struct TrainArgs {
    /// Training programs: Parquet files (ExeStack or synthetic `train.parquet`); repeatable.
    #[arg(long = "train", required = true)]
    train: Vec<PathBuf>,
    /// Held-out programs for validation (their `test` pairs): Parquet files; repeatable.
    #[arg(long = "val", required = true)]
    val: Vec<PathBuf>,
    /// Run folder: config.json, metrics.csv, loss.png, checkpoint/, best/.
    #[arg(long, default_value = "runs/train/compnet")]
    out: PathBuf,
    /// Continue from `OUT/checkpoint` (the same flags as the run that wrote it).
    #[arg(long)]
    resume: bool,
    /// Start from this CompNet checkpoint folder's weights (e.g. a run's `best/` pretrained on
    /// synthetic programs), with this run's own optimiser and schedule. The network flags must
    /// build the same network (dropout may differ).
    #[arg(long, conflicts_with = "start_fomaml")]
    init: Option<PathBuf>,
    /// Covering surrogate shape `n_in,hidden…,n_out`.
    #[arg(long, default_value = "18,32,32,8")]
    covering: String,
    /// What of the encoder's output the parameter head reads: the first token's state (as BERT
    /// classifies) or the mean over the program's tokens.
    #[arg(long, value_enum, default_value_t = Pooling::First)]
    pooling: Pooling,
    /// Also write each covering input's row of the first layer from what the encoder says where
    /// that input is read: a learned query per input attends over the token states
    /// (`compnet::network::InputReader`), its row added to the head's.
    #[arg(long)]
    input_reader: bool,
    /// Read every source with its linear sums written out before tokenizing
    /// (`c_tokens::write_out_linear_sums`: `(p2 + 2.0 * p5) - p0` read as
    /// `-1.0 * p0 + 1.0 * p2 + 2.0 * p5`); the checkpoint remembers it, so compiling reads the same way.
    #[arg(long)]
    write_out_sums: bool,
    /// Hidden activation of the covering surrogate.
    #[arg(long, default_value = "sigmoid")]
    activation: String,
    /// Encoder width (BERT-Tiny: 128).
    #[arg(long, default_value_t = 128)]
    d_model: usize,
    /// Encoder layers (BERT-Tiny: 2).
    #[arg(long, default_value_t = 2)]
    layers: usize,
    /// Attention heads (BERT-Tiny: 2).
    #[arg(long, default_value_t = 2)]
    heads: usize,
    /// Feed-forward width (BERT-Tiny: 512).
    #[arg(long, default_value_t = 512)]
    d_ff: usize,
    /// Read number literals by their ids alone (magnitude buckets and 29 exact values), not by
    /// their values too, as CompNets before 2026-12-03 did.
    #[arg(long)]
    no_literal_values: bool,
    /// Encoder dropout while training (BERT uses 0.1; generation never drops).
    #[arg(long, default_value_t = 0.0)]
    dropout: f64,
    /// Weight of the saturation penalty: the mean squared excess of the generated surrogates'
    /// hidden pre-activations over ±3 (docs/compnet.md, "Saturation"). 0 trains on the MSE alone.
    #[arg(long, default_value_t = 0.0)]
    saturation_penalty: f64,
    /// Weight of the weight penalty: the mean of (generated weight ÷ its Xavier spread)², 1 for a
    /// fresh initialisation (docs/compnet.md, "Saturation"). 0: none.
    #[arg(long, default_value_t = 0.0)]
    weight_penalty: f64,
    /// Weight of the meta term: each generated surrogate finetuned for --meta-steps on
    /// --meta-support of the step's pairs, its MSE on the rest (docs/compnet.md, "Finetunability"). 0: off.
    #[arg(long, default_value_t = 0.0)]
    meta_weight: f64,
    /// Inner steps of the meta term.
    #[arg(long, default_value_t = 20)]
    meta_steps: usize,
    /// Inner learning rate of the meta term (the evaluation finetunes at 0.01).
    #[arg(long, default_value_t = 0.01)]
    meta_lr: f64,
    /// Support pairs of the meta term per program (0: half of --pairs-per-step; the rest are the query).
    #[arg(long, default_value_t = 0)]
    meta_support: usize,
    /// Inner optimiser of the meta term (the evaluation finetunes with Adam).
    #[arg(long, value_enum, default_value_t = InnerOptimizer::Adam)]
    meta_optimizer: InnerOptimizer,
    /// Start a fresh CompNet's generated surrogates at the FOMAML initialisation that `compnet
    /// eval` compares with, learned first from the --train files with this many meta steps (the
    /// evaluation's: `eval::baselines::FOMAML_STEPS`, 2000). 0: the usual head around 0.
    #[arg(long, default_value_t = 0)]
    start_fomaml: usize,
    /// With --start-fomaml: the head's text-dependent part at the start, scaled (0: every program
    /// starts exactly at FOMAML's surrogate; 1: a fresh head's spread around it).
    #[arg(long, default_value_t = 0.1)]
    start_head_scale: f32,
    /// After every epoch also finetune each validation program's generated surrogate for this
    /// many Adam steps (lr 0.01, the evaluation's) on --val-support of its validation pairs and
    /// score it on the rest: metrics.csv's `val_finetuned` column. 0: off.
    #[arg(long, default_value_t = 0)]
    val_finetune: usize,
    /// Pairs each validation program finetunes on with --val-finetune (the rest score it).
    #[arg(long, default_value_t = 64)]
    val_support: usize,
    /// Which validation measure picks `best/`: the plain MSE, or (with --val-finetune) the finetuned one.
    #[arg(long, value_enum, default_value_t = Selection::Mse)]
    select: Selection,
    /// Longest program in tokens (`[CLS]` included); longer programs are skipped.
    #[arg(long, default_value_t = 512)]
    max_tokens: usize,
    /// I/O pairs kept per program (its first ones).
    #[arg(long, default_value_t = 1024)]
    pairs: usize,
    /// Programs per Adam step.
    #[arg(long, default_value_t = 32)]
    programs_per_step: usize,
    /// Pairs per program per step.
    #[arg(long, default_value_t = 1024)]
    pairs_per_step: usize,
    /// Passes over the training programs.
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 3e-4)]
    lr: f64,
    /// Final learning rate (cosine decay).
    #[arg(long, default_value_t = 1e-5)]
    final_lr: f64,
    /// Linear warm-up steps.
    #[arg(long, default_value_t = 500)]
    warmup: usize,
    /// Gradient-norm clip.
    #[arg(long, default_value_t = 1.0)]
    clip: f32,
    /// Seed of the initialisation and batch order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, or cuda[:N] in a CUDA build.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Stop after this many seconds, with a checkpoint (continue with --resume).
    #[arg(long)]
    time_limit: Option<f64>,
    /// Seconds between checkpoints within an epoch (0: after every step).
    #[arg(long, default_value_t = 120.0)]
    checkpoint_secs: f64,
}

/// The validation measure that picks a run's `best/` epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
enum Selection {
    /// The generated surrogates' MSE with no finetuning.
    Mse,
    /// Their MSE after `--val-finetune` steps on `--val-support` pairs.
    Finetuned,
}

#[derive(serde::Serialize)]
struct TrainSummary<'a> {
    command: String,
    train_files: Vec<String>,
    val_files: Vec<String>,
    train_programs: String,
    val_programs: String,
    device: &'a str,
    parameters: usize,
    epochs_done: usize,
    steps: usize,
    seconds: f64,
    steps_per_second: f64,
    /// The best epoch's score, by `selected_by`.
    best_val_mse: Option<f64>,
    best_epoch: Option<usize>,
    selected_by: Selection,
}

pub(super) fn train_command(a: TrainArgs) -> anyhow::Result<()> {
    anyhow::ensure!((0.0..1.0).contains(&a.dropout), "--dropout {} must be in [0, 1)", a.dropout);
    for (flag, value) in [
        ("--saturation-penalty", a.saturation_penalty),
        ("--weight-penalty", a.weight_penalty),
        ("--meta-weight", a.meta_weight),
        ("--meta-lr", a.meta_lr),
        ("--start-head-scale", f64::from(a.start_head_scale)),
    ] {
        anyhow::ensure!(value.is_finite() && value >= 0.0, "{flag} {value} must be a finite number ≥ 0");
    }
    ensure!(
        a.select == Selection::Mse || a.val_finetune > 0,
        "--select finetuned needs --val-finetune STEPS (the finetuned measure it selects by)"
    );
    let device = crate::device::parse(&a.device)?;
    let covering = CoveringShape::parse(&a.covering, &a.activation)?;
    let model = CompNetConfig {
        vocab: Vocabulary::default().len(),
        max_tokens: a.max_tokens,
        d_model: a.d_model,
        n_layers: a.layers,
        n_heads: a.heads,
        d_ff: a.d_ff,
        covering: covering.clone(),
        dropout: a.dropout,
        literal_values: !a.no_literal_values,
        pooling: a.pooling,
        input_reader: a.input_reader,
        written_out_sums: a.write_out_sums,
    };
    let vocabulary = model.vocabulary();
    let config = TrainConfig {
        model,
        programs_per_step: a.programs_per_step,
        pairs_per_step: a.pairs_per_step,
        epochs: a.epochs,
        learning_rate: a.lr,
        final_learning_rate: a.final_lr,
        warmup_steps: a.warmup,
        grad_clip: a.clip,
        seed: a.seed,
        saturation_penalty: a.saturation_penalty,
        weight_penalty: a.weight_penalty,
        meta: (a.meta_weight > 0.0).then_some(MetaTerm {
            weight: a.meta_weight,
            inner: InnerLoop { steps: a.meta_steps, learning_rate: a.meta_lr, optimizer: a.meta_optimizer },
            support: a.meta_support,
        }),
        start: (a.start_fomaml > 0)
            .then_some(HeadStart { fomaml_steps: a.start_fomaml, head_scale: a.start_head_scale }),
        init: a.init.clone(),
        val_finetune: (a.val_finetune > 0).then_some(ValFinetune {
            inner: InnerLoop { steps: a.val_finetune, learning_rate: 0.01, optimizer: InnerOptimizer::Adam },
            support: a.val_support,
            select: a.select == Selection::Finetuned,
        }),
    };
    let load_started = Instant::now();
    let train_set = ProgramSet::load(&a.train, PairSplit::Train, &covering, &vocabulary, a.max_tokens, a.pairs)?;
    let val_set = ProgramSet::load(&a.val, PairSplit::Test, &covering, &vocabulary, a.max_tokens, a.pairs)?;
    train_set.ensure_every_file_used("--train")?;
    val_set.ensure_every_file_used("--val")?;
    let train_names: std::collections::HashSet<&str> = train_set.programs.iter().map(|p| p.name.as_str()).collect();
    let leaked = val_set.programs.iter().filter(|p| train_names.contains(p.name.as_str())).count();
    ensure!(leaked == 0, "{leaked} validation programs are also training programs: pass held-out programs to --val");
    eprintln!("training   {}", train_set.describe());
    eprintln!("validation {}", val_set.describe());
    eprintln!("loaded in {:.1} s; training on {}", load_started.elapsed().as_secs_f64(), a.device);

    let bar = ProgressBar::new(0);
    // A fresh run with a head start learns it first (a resumed one has it in its weights).
    let resuming = a.resume && checkpoint::resolve(&a.out.join("checkpoint")).is_some();
    let start_params = match &config.start {
        Some(start) if !resuming => {
            // The evaluation's FOMAML, from as many pairs as a program keeps here (at most its 256).
            let set = baseline_programs(&a.train, &covering, &vocabulary, a.pairs.min(BASELINE_PAIRS))?;
            let t = Instant::now();
            let params = fomaml(&covering, &set, &BaselineConfig::protocol(start.fomaml_steps, a.seed), &device, &bar)?;
            eprintln!(
                "start      FOMAML, {} meta steps on {} in {:.1} s",
                start.fomaml_steps,
                set.describe(),
                t.elapsed().as_secs_f64()
            );
            Some(params)
        }
        _ => None,
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] step {pos}/{len} {msg}")?.progress_chars("=> "),
    );
    let options = RunOptions {
        out: a.out.clone(),
        resume: a.resume,
        time_limit: a.time_limit.map(Duration::from_secs_f64),
        checkpoint_every: Duration::from_secs_f64(a.checkpoint_secs.max(0.0)),
        eval_programs: 64,
        start_params,
    };
    let outcome = train(&config, &train_set, &val_set, &device, &options, &bar)?;
    bar.finish_and_clear();
    if let Err(e) = write_curves(&a.out, &outcome.state) {
        eprintln!("warning: cannot write metrics.csv / loss.png: {e:#}");
    }
    let parameters = {
        let (net, _) = checkpoint::load_model(&a.out.join("checkpoint"), &Device::flex())?;
        burn::module::Module::num_params(&net)
    };
    let summary = TrainSummary {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        train_files: a.train.iter().map(|p| p.display().to_string()).collect(),
        val_files: a.val.iter().map(|p| p.display().to_string()).collect(),
        train_programs: train_set.describe(),
        val_programs: val_set.describe(),
        device: &a.device,
        parameters,
        epochs_done: outcome.state.epochs_done,
        steps: outcome.state.step,
        seconds: outcome.state.seconds,
        steps_per_second: outcome.steps_per_second,
        best_val_mse: outcome.state.best.map(|b| b.0),
        best_epoch: outcome.state.best.map(|b| b.1),
        selected_by: a.select,
    };
    artifacts::write_json(&a.out.join("summary.json"), &summary)?;
    if a.out.join("best").exists() {
        artifacts::write_json(&a.out.join("best/summary.json"), &summary)?;
    }
    println!(
        "epochs       {} of {}{}",
        outcome.state.epochs_done,
        a.epochs,
        if outcome.finished { "" } else { " (time limit: continue with --resume)" }
    );
    println!("steps        {} ({:.1} steps/s in this process)", outcome.state.step, outcome.steps_per_second);
    if let Some((val, epoch)) = outcome.state.best {
        let measure = if a.select == Selection::Finetuned { "finetuned val MSE" } else { "val MSE" };
        println!("best {measure} {val:.4e} at epoch {epoch}");
    }
    println!("parameters   {parameters}");
    println!(
        "written      {}/{{config.json, metrics.csv, loss.png, summary.json, checkpoint/, best/}}",
        a.out.display()
    );
    Ok(())
}

#[derive(Debug, Args)]
pub(super) struct ValidateArgs {
    /// CompNet checkpoint folders (a run's `best/` or `checkpoint/`), repeatable: a line each.
    #[arg(long = "checkpoint", required = true)]
    checkpoints: Vec<PathBuf>,
    /// Validation programs (their `test` pairs): Parquet files; repeatable.
    #[arg(long = "val", required = true)]
    val: Vec<PathBuf>,
    /// Pairs read per program (`compnet train --pairs`; its `val_mse` is on these).
    #[arg(long, default_value_t = 1024)]
    pairs: usize,
    /// Also the MSE after this many Adam steps (lr 0.01) on --val-support of each program's pairs,
    /// as `compnet train --val-finetune` (0: the plain MSE only).
    #[arg(long, default_value_t = 0)]
    val_finetune: usize,
    /// Pairs each program finetunes on with --val-finetune (the rest score it).
    #[arg(long, default_value_t = 64)]
    val_support: usize,
    /// cpu, or cuda[:N] in a CUDA build.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// `compnet validate`: each checkpoint's mean validation MSE over the programs it covers, and with
/// `--val-finetune` the finetuned one, by the code `compnet train` validates with.
pub(super) fn validate_command(a: ValidateArgs) -> anyhow::Result<()> {
    let device = crate::device::parse(&a.device)?;
    let finetune = (a.val_finetune > 0).then_some(ValFinetune {
        inner: InnerLoop { steps: a.val_finetune, learning_rate: 0.01, optimizer: InnerOptimizer::Adam },
        support: a.val_support,
        select: false,
    });
    let finetuned_column = finetune
        .as_ref()
        .map_or(String::new(), |f| format!(" finetuned ({} steps on {} pairs) |", f.inner.steps, f.support));
    let header = format!(
        "| checkpoint | programs | val MSE |{finetuned_column}\n|---|---|---|{}",
        if finetune.is_some() { "---|" } else { "" }
    );
    for (k, dir) in a.checkpoints.iter().enumerate() {
        let (net, config) =
            checkpoint::load_model(dir, &device).with_context(|| format!("--checkpoint {}", dir.display()))?;
        let set =
            ProgramSet::load(&a.val, PairSplit::Test, &config.covering, &net.vocabulary(), config.max_tokens, a.pairs)?;
        set.ensure_every_file_used("--val")?;
        ensure!(!set.is_empty(), "no validation programs for {}: {}", dir.display(), set.describe());
        let plain = mean(&evaluate(&net, &set, &device, 64)?);
        let finetuned = match &finetune {
            Some(f) => format!(" {:.4e} |", mean(&evaluate_finetuned(&net, &set, &device, 64, f)?)),
            None => String::new(),
        };
        // The header with the first row, so that a first checkpoint that fails leaves no table.
        if k == 0 {
            println!("{header}");
        }
        println!("| {} | {} | {plain:.4e} |{finetuned}", dir.display(), set.len());
    }
    Ok(())
}

#[derive(Debug, Args)]
pub(super) struct BenchTrainArgs {
    /// cpu, or cuda[:N] in a CUDA build.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Programs per step.
    #[arg(long, default_value_t = 32)]
    programs: usize,
    /// Pairs per program per step.
    #[arg(long, default_value_t = 1024)]
    pairs: usize,
    /// Tokens per program (`[CLS]` included).
    #[arg(long, default_value_t = 512)]
    tokens: usize,
    /// Covering surrogate shape.
    #[arg(long, default_value = "18,32,32,8")]
    covering: String,
    /// Untimed warm-up steps (kernel compilation, allocation).
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Timed steps.
    #[arg(long, default_value_t = 20)]
    steps: usize,
}

/// Training throughput on random tokens and pairs: full Adam steps of the BERT-Tiny CompNet.
pub(super) fn bench_train_command(a: BenchTrainArgs) -> anyhow::Result<()> {
    if a.programs == 0 || a.pairs == 0 || a.steps == 0 || a.tokens == 0 {
        bail!("--programs, --pairs, --tokens and --steps must be positive");
    }
    let device = crate::device::parse(&a.device)?.autodiff();
    let covering = CoveringShape::parse(&a.covering, "sigmoid")?;
    let vocab = Vocabulary::default().len();
    let config = CompNetConfig { max_tokens: a.tokens.max(1), ..CompNetConfig::bert_tiny(vocab, covering.clone()) };
    let mut net = config.init(&device, 0)?;
    let mut optim = burn::optim::AdamConfig::new().init();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let seqs: Vec<EncodedProgram> = (0..a.programs)
        .map(|_| {
            let ids = (0..a.tokens).map(|k| if k == 0 { 2 } else { rng.random_range(5..vocab as u32) }).collect();
            EncodedProgram::from_ids(ids)
        })
        .collect();
    let refs: Vec<&EncodedProgram> = seqs.iter().collect();
    let x: Vec<f32> = (0..a.programs * a.pairs * covering.n_in).map(|_| rng.random_range(-1.0..1.0)).collect();
    let y: Vec<f32> = (0..a.programs * a.pairs * covering.n_out).map(|_| rng.random_range(-1.0..1.0)).collect();
    let x = Tensor::<3>::from_data(TensorData::new(x, [a.programs, a.pairs, covering.n_in]), &device);
    let y = Tensor::<3>::from_data(TensorData::new(y, [a.programs, a.pairs, covering.n_out]), &device);
    let mask = Tensor::<3>::ones([a.programs, 1, covering.n_out], &device);
    let mut loss_value = 0.0f32;
    let mut run = |steps: usize, net: &mut crate::compnet::CompNet| -> anyhow::Result<f64> {
        let t = Instant::now();
        for _ in 0..steps {
            let tokens = TokenBatch::new(&refs, 64, a.tokens, &device);
            let loss = masked_mse(net.run_surrogates(net.generate(tokens), x.clone()), y.clone(), mask.clone());
            let grads = burn::optim::GradientsParams::from_grads(loss.backward(), &*net);
            *net = optim.step(1e-4, net.clone(), grads);
        }
        // Reading a value waits for the device to finish the queued work.
        loss_value = masked_mse(
            net.run_surrogates(net.generate(TokenBatch::new(&refs, 64, a.tokens, &device)), x.clone()),
            y.clone(),
            mask.clone(),
        )
        .into_scalar();
        Ok(t.elapsed().as_secs_f64())
    };
    run(a.warmup, &mut net)?;
    let secs = run(a.steps, &mut net)?;
    ensure!(loss_value.is_finite(), "the benchmark's loss is not finite ({loss_value})");
    let steps_per_s = a.steps as f64 / secs;
    println!("device          {}", a.device);
    println!(
        "batch           {} programs × {} pairs, {} tokens, covering {:?}",
        a.programs,
        a.pairs,
        a.tokens,
        covering.widths()
    );
    println!("steps/s         {steps_per_s:.2} ({} timed steps after {} warm-up)", a.steps, a.warmup);
    println!("program-pairs/s {:.3e}", steps_per_s * (a.programs * a.pairs) as f64);
    println!("programs/s      {:.1}", steps_per_s * a.programs as f64);
    if a.device == "cpu" {
        println!("threads         {}", std::thread::available_parallelism().map_or(0, |n| n.get()));
    }
    Ok(())
}

#[derive(Debug, Args)]
pub(super) struct DeviceCheckArgs {
    /// cpu, or cuda[:N] in a CUDA build.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// The products the trainer and `compnet eval` run, as `[batch, m, k, n]`, and what each is.
const CHECKED_PRODUCTS: [([usize; 4], &str); 5] = [
    ([9, 8, 18, 32], "finetuning a tiny set (9 trials, 8 pairs), first layer"),
    ([64, 2048, 18, 32], "finetuning, first layer"),
    ([64, 2048, 32, 32], "finetuning, hidden layer"),
    ([64, 18, 2048, 32], "finetuning, a weight's gradient (summed over pairs)"),
    ([4, 512, 128, 512], "the encoder (tokens × width)"),
];

/// Each of [`CHECKED_PRODUCTS`] on the device against f64 on the host: whether the device
/// multiplies in f32 or reads f32 operands at a lower precision (TF32 tensor cores).
pub(super) fn device_check_command(a: DeviceCheckArgs) -> anyhow::Result<()> {
    let device = crate::device::parse(&a.device)?;
    println!("| product [batch, m, k, n] | what | max error ÷ Σ|ab| | mean | bits kept | arithmetic |");
    println!("|---|---|---|---|---|---|");
    let mut reduced = 0;
    for (k, (shape, what)) in CHECKED_PRODUCTS.iter().enumerate() {
        let p = crate::device::matmul_precision(&device, *shape, k as u64)?;
        reduced += usize::from(p.reduced());
        let verdict = if p.reduced() { "below f32 (TF32-like)" } else { "f32" };
        println!(
            "| {shape:?} | {what} | {:.2e} | {:.2e} | {:.1} | {verdict} |",
            p.max_relative,
            p.mean_relative,
            p.bits()
        );
    }
    println!("device {}: {reduced} of {} products below f32's accuracy", a.device, CHECKED_PRODUCTS.len());
    Ok(())
}
