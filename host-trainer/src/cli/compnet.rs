//! `compnet train`, `compnet compile`, `compnet zero-data` and `compnet bench-train`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use burn::tensor::{Device, Tensor, TensorData};
use clap::Args;
use compnet_datasets::IoPairs;
use compnet_datasets::c_tokens::Vocabulary;
use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::parrot;
use compnet_datasets::signature::Signature;
use compnet_datasets::store::ProgramRecord;
use compnet_onnx::ExportOptions;
use compnet_runtime::Metadata;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::export::{Exported, file_stem, write_checked};
use crate::artifacts;
use crate::compnet::CoveringShape;
use crate::compnet::checkpoint;
use crate::compnet::compile::{Compiled, compile};
use crate::compnet::network::{CompNetConfig, TokenBatch, masked_mse};
use crate::compnet::programs::{PairSplit, ProgramSet};
use crate::compnet::train::{RunOptions, TrainConfig, train, write_curves};
use crate::compnet::zero_data::{self, ZeroDataRow};
use crate::fit::{FitConfig, fit_from, mse};

/// The checkpoint `compile` and `zero-data` use without `--checkpoint`: the one shipped in the
/// repository (`host-trainer/checkpoints/default`), or `$COMPNET_CHECKPOINT`.
pub(super) fn default_checkpoint() -> PathBuf {
    std::env::var_os("COMPNET_CHECKPOINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("checkpoints/default"))
}

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
    /// Covering surrogate shape `n_in,hidden…,n_out`.
    #[arg(long, default_value = "18,32,32,8")]
    covering: String,
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
    best_val_mse: Option<f64>,
    best_epoch: Option<usize>,
}

pub(super) fn train_command(a: TrainArgs) -> anyhow::Result<()> {
    let device = crate::device::parse(&a.device)?;
    let covering = CoveringShape::parse(&a.covering, &a.activation)?;
    let vocabulary = Vocabulary::default();
    let model = CompNetConfig {
        vocab: vocabulary.len(),
        max_tokens: a.max_tokens,
        d_model: a.d_model,
        n_layers: a.layers,
        n_heads: a.heads,
        d_ff: a.d_ff,
        covering: covering.clone(),
    };
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
    };
    let load_started = Instant::now();
    let train_set = ProgramSet::load(&a.train, PairSplit::Train, &covering, &vocabulary, a.max_tokens, a.pairs)?;
    let val_set = ProgramSet::load(&a.val, PairSplit::Test, &covering, &vocabulary, a.max_tokens, a.pairs)?;
    let train_names: std::collections::HashSet<&str> = train_set.programs.iter().map(|p| p.name.as_str()).collect();
    let leaked = val_set.programs.iter().filter(|p| train_names.contains(p.name.as_str())).count();
    ensure!(leaked == 0, "{leaked} validation programs are also training programs: pass held-out programs to --val");
    eprintln!("training   {}", train_set.describe());
    eprintln!("validation {}", val_set.describe());
    eprintln!("loaded in {:.1} s; training on {}", load_started.elapsed().as_secs_f64(), a.device);

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] step {pos}/{len} {msg}")?.progress_chars("=> "),
    );
    let options = RunOptions {
        out: a.out.clone(),
        resume: a.resume,
        time_limit: a.time_limit.map(Duration::from_secs_f64),
        checkpoint_every: Duration::from_secs_f64(a.checkpoint_secs.max(0.0)),
        eval_programs: 64,
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
        println!("best val MSE {val:.4e} at epoch {epoch}");
    }
    println!("parameters   {parameters}");
    println!(
        "written      {}/{{config.json, metrics.csv, loss.png, summary.json, checkpoint/, best/}}",
        a.out.display()
    );
    Ok(())
}

#[derive(Debug, Args)]
pub(super) struct CompileArgs {
    /// The C file.
    file: PathBuf,
    /// The function to compile (float/double/int scalar parameters and return, scalar out-pointers).
    #[arg(long)]
    function: String,
    /// Input domain `lo:hi`, the same for every input (the surrogate is trained for it).
    #[arg(long, default_value = "-1:1", allow_hyphen_values = true)]
    domain: String,
    /// CompNet checkpoint folder; default the shipped one.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Collect this many I/O pairs through the harness and finetune the compiled surrogate on them.
    #[arg(long, default_value_t = 0)]
    finetune: usize,
    /// Finetuning epochs.
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Finetuning learning rate (Adam).
    #[arg(long, default_value_t = 1e-2)]
    lr: f64,
    /// Fresh test inputs for the accuracy report (run through the real function).
    #[arg(long, default_value_t = 1024)]
    test_pairs: usize,
    /// Output folder.
    #[arg(long, default_value = "runs/compile")]
    out: PathBuf,
    /// Weights in the files: f32 or f16.
    #[arg(long, default_value = "f32")]
    precision: String,
    /// Seed of the test and finetuning inputs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(serde::Serialize)]
struct CompileReport {
    function: String,
    /// Whether CompNet generated the start (false: outside its covering shape, random start).
    generated_by_compnet: bool,
    signature: String,
    checkpoint: String,
    domain: (f32, f32),
    tokens: usize,
    truncated: bool,
    topology: Vec<usize>,
    compile_ms: f64,
    load_ms: f64,
    test_pairs: usize,
    compiled_test_mse: f64,
    random_init_test_mse: f64,
    improvement_over_random: f64,
    finetune_pairs: usize,
    finetuned_test_mse: Option<f64>,
    finetune_seconds: Option<f64>,
    onnx: String,
    blob: String,
}

/// Draws `count` input vectors from `domain` and runs the real function on them in the harness.
pub(super) fn harness_pairs(
    source: &str,
    signature: &Signature,
    domain: (f32, f32),
    count: usize,
    seed: u64,
) -> anyhow::Result<IoPairs> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let inputs: Vec<f32> = (0..count * signature.n_in()).map(|_| rng.random_range(domain.0..domain.1)).collect();
    let harness = Harness::new(HarnessConfig { max_abs_output: Some(1e6), ..HarnessConfig::default() });
    Ok(harness.evaluate(source, signature, &inputs)?)
}

pub(super) fn compile_command(a: CompileArgs) -> anyhow::Result<()> {
    let precision = super::model_file::parse_precision(&a.precision)?;
    let source =
        std::fs::read_to_string(&a.file).with_context(|| format!("cannot read C source {}", a.file.display()))?;
    let signature = Signature::from_source(&source, &a.function)
        .with_context(|| format!("function {:?} in {}", a.function, a.file.display()))?;
    let domain = super::parse_domain(&a.domain)?;
    let ckpt = a.checkpoint.clone().unwrap_or_else(default_checkpoint);
    let device = Device::flex();

    let load_started = Instant::now();
    let (net, _) = checkpoint::load_model(&ckpt, &device)
        .with_context(|| format!("loading the CompNet checkpoint {}", ckpt.display()))?;
    let load_ms = load_started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let meta = Metadata {
        name: a.function.clone(),
        signature: signature.to_string(),
        source_hash: Metadata::source_hash(&source),
        export_error: f32::NAN,
    };
    let domains = vec![domain; signature.n_in()];
    let covering = net.covering().clone();
    let (n_in, n_out) = (signature.n_in(), signature.n_out());
    // A function outside the covering shape cannot be compiled; with --finetune it is trained
    // from a random start of the same hidden layers instead, so every admitted function works.
    let compiled = if covering.covers(n_in, n_out) || a.finetune == 0 {
        compile(&net, &Vocabulary::default(), &source, meta, &domains, n_out, &device)?
    } else {
        eprintln!(
            "warning: {} has {n_in} inputs and {n_out} outputs, outside the CompNet's covering shape {:?}: \
             starting the finetuning from a random initialisation",
            a.function,
            covering.widths()
        );
        let own = CoveringShape { n_in, n_out, ..covering.clone() };
        let surrogate = own.surrogate(&own.random_params(a.seed), meta, &domains, n_out)?;
        Compiled { surrogate, tokens: 0, truncated: false }
    };
    let generated = covering.covers(n_in, n_out);
    let stem = file_stem(&a.function);
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    let (onnx_path, blob_path) = (a.out.join(format!("{stem}.onnx")), a.out.join(format!("{stem}.cpn")));
    let options = ExportOptions { precision, ..ExportOptions::default() };
    // Text → ONNX: the time a user waits for a compiled surrogate (the files are rewritten
    // below once the accuracy is known, to record it in their metadata).
    let mut surrogate = compiled.surrogate.clone();
    write_checked(&surrogate, &options, &onnx_path, &blob_path)?;
    let compile_ms = started.elapsed().as_secs_f64() * 1e3;
    if compiled.truncated {
        eprintln!(
            "warning: {} has {} tokens; CompNet read the first {}",
            a.function,
            compiled.tokens,
            net.max_tokens()
        );
    }

    let test = harness_pairs(&source, &signature, domain, a.test_pairs, a.seed ^ 0x7e57)
        .with_context(|| format!("running {} in the harness for the accuracy report", a.function))?;
    let compiled_mse = mse(&surrogate.eval_batch(test.inputs())?, test.outputs());
    let trials = 9;
    let random_mse = (0..trials)
        .map(|t| {
            // The RND of `compnet eval`: the covering shape's random start, cropped to the function.
            let shape = if generated { covering.clone() } else { CoveringShape { n_in, n_out, ..covering.clone() } };
            let s = shape.surrogate(&shape.random_params(t), Metadata::named("rnd"), &domains, n_out)?;
            Ok(mse(&s.eval_batch(test.inputs())?, test.outputs()))
        })
        .sum::<anyhow::Result<f64>>()?
        / trials as f64;
    let mut finetuned = None;
    if a.finetune > 0 {
        let pairs = harness_pairs(&source, &signature, domain, a.finetune, a.seed)
            .with_context(|| format!("collecting {} finetuning pairs of {}", a.finetune, a.function))?;
        let config = FitConfig {
            epochs: a.epochs,
            batch_size: 128.min(a.finetune),
            learning_rate: a.lr,
            final_learning_rate: a.lr / 100.0,
            seed: a.seed,
            ..FitConfig::default()
        };
        let t = Instant::now();
        let bar = ProgressBar::new(config.epochs as u64);
        let r = fit_from(&pairs, Some(&surrogate), surrogate.meta.clone(), domains.clone(), &config, &device, &bar)?;
        bar.finish_and_clear();
        surrogate = r.surrogate;
        finetuned = Some((mse(&surrogate.eval_batch(test.inputs())?, test.outputs()), t.elapsed().as_secs_f64()));
    }
    surrogate.meta.export_error = finetuned.map_or(compiled_mse, |f| f.0) as f32;
    let Exported { onnx, blob, .. } = write_checked(&surrogate, &options, &onnx_path, &blob_path)?;

    let report = CompileReport {
        function: a.function.clone(),
        generated_by_compnet: generated,
        signature: signature.to_string(),
        checkpoint: ckpt.display().to_string(),
        domain,
        tokens: compiled.tokens,
        truncated: compiled.truncated,
        topology: surrogate.widths(),
        compile_ms,
        load_ms,
        test_pairs: test.len(),
        compiled_test_mse: compiled_mse,
        random_init_test_mse: random_mse,
        improvement_over_random: random_mse / compiled_mse,
        finetune_pairs: a.finetune,
        finetuned_test_mse: finetuned.map(|f| f.0),
        finetune_seconds: finetuned.map(|f| f.1),
        onnx: onnx_path.display().to_string(),
        blob: blob_path.display().to_string(),
    };
    artifacts::write_json(&a.out.join(format!("{stem}.report.json")), &report)?;
    println!("function     {} — {}", a.function, report.signature);
    println!("surrogate    {:?} from {} ({} tokens)", report.topology, ckpt.display(), compiled.tokens);
    println!("compile      {compile_ms:.1} ms text → ONNX (+ {load_ms:.1} ms loading the checkpoint)");
    println!(
        "test MSE     {compiled_mse:.4e} compiled, {random_mse:.4e} random init ({:.1}× better) on {} fresh inputs",
        random_mse / compiled_mse,
        test.len()
    );
    if let Some((f, secs)) = finetuned {
        println!("finetuned    {f:.4e} after {} epochs on {} pairs ({secs:.1} s)", a.epochs, a.finetune);
    }
    println!(
        "written      {} ({} bytes), {} ({} bytes), {stem}.report.json",
        onnx_path.display(),
        onnx.len(),
        blob_path.display(),
        blob.len()
    );
    Ok(())
}

#[derive(Debug, Args)]
pub(super) struct ZeroDataArgs {
    /// Held-out programs (their `test` pairs): Parquet files; repeatable.
    #[arg(long = "data")]
    data: Vec<PathBuf>,
    /// Also compare on the six ParrotBench programs (built under --parrot-data if absent).
    #[arg(long)]
    parrot: bool,
    /// Folder of the ParrotBench Parquet files.
    #[arg(long, default_value = "data/parrot")]
    parrot_data: PathBuf,
    /// CompNet checkpoint folder; default the shipped one.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Random initialisations averaged for RND.
    #[arg(long, default_value_t = 9)]
    trials: u64,
    /// Test pairs per program.
    #[arg(long, default_value_t = 1024)]
    pairs: usize,
    /// Output folder (zero-data.json, zero-data.md).
    #[arg(long, default_value = "runs/zero-data")]
    out: PathBuf,
    /// cpu, or cuda[:N] in a CUDA build.
    #[arg(long, default_value = "cpu")]
    device: String,
}

#[derive(serde::Serialize)]
struct ZeroDataReport {
    checkpoint: String,
    command: String,
    trials: u64,
    held_out: Option<(zero_data::ZeroDataSummary, Vec<ZeroDataRow>)>,
    held_out_skipped: std::collections::BTreeMap<String, usize>,
    parrot: Vec<ParrotZeroData>,
}

#[derive(serde::Serialize)]
struct ParrotZeroData {
    program: &'static str,
    row: Option<ZeroDataRow>,
    note: String,
}

pub(super) fn zero_data_command(a: ZeroDataArgs) -> anyhow::Result<()> {
    ensure!(!a.data.is_empty() || a.parrot, "give held-out programs with --data FILE, and/or --parrot");
    let device = crate::device::parse(&a.device)?;
    let ckpt = a.checkpoint.clone().unwrap_or_else(default_checkpoint);
    let (net, config) = checkpoint::load_model(&ckpt, &device)?;
    let vocabulary = Vocabulary::default();
    let mut report = ZeroDataReport {
        checkpoint: ckpt.display().to_string(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        trials: a.trials,
        held_out: None,
        held_out_skipped: Default::default(),
        parrot: Vec::new(),
    };
    if !a.data.is_empty() {
        let set =
            ProgramSet::load(&a.data, PairSplit::Test, &config.covering, &vocabulary, config.max_tokens, a.pairs)?;
        eprintln!("held-out   {}", set.describe());
        report.held_out_skipped = set.skipped.clone();
        if !set.is_empty() {
            let rows = zero_data::compare(&net, &set, &device, a.trials as usize, 0x5eed)?;
            report.held_out = Some((zero_data::summarize(&rows), rows));
        }
    }
    if a.parrot {
        for program in parrot::programs() {
            let file = a.parrot_data.join(parrot::file_name(program));
            if !file.exists() {
                super::parrot_data(program.name, &a.parrot_data, None)?;
            }
            let data = parrot::load(&a.parrot_data, program)?;
            // Evenly spaced test pairs: the test set runs through whole images in order.
            let stride = (data.test.len() / a.pairs).max(1);
            let picked: Vec<usize> = (0..data.test.len()).step_by(stride).take(a.pairs).collect();
            let record = ProgramRecord {
                name: program.name.into(),
                function: program.function.into(),
                source: program.source.into(),
                signature: program.signature.into(),
                domain: program.domain.to_vec(),
                split: "test".into(),
                pairs: data.test.select(&picked),
            };
            let mut set = ProgramSet {
                n_in: config.covering.n_in,
                n_out: config.covering.n_out,
                pairs: picked.len(),
                ..ProgramSet::default()
            };
            set.truncate_tokens = true;
            set.push(&record, &config.covering, &vocabulary, config.max_tokens);
            let (row, note) = if set.is_empty() {
                (None, format!("not compiled: {}", set.skipped.keys().cloned().collect::<Vec<_>>().join(", ")))
            } else {
                let row = zero_data::compare(&net, &set, &device, a.trials as usize, 0x5eed)?.remove(0);
                let tokens = vocabulary.encode_source(program.source, usize::MAX).map_or(0, |t| t.len());
                let note = if tokens > config.max_tokens {
                    format!("{tokens} tokens, first {} read", config.max_tokens)
                } else {
                    String::new()
                };
                (Some(row), note)
            };
            report.parrot.push(ParrotZeroData { program: program.name, row, note });
        }
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    artifacts::write_json(&a.out.join("zero-data.json"), &report)?;
    let md = zero_data_markdown(&report);
    artifacts::write_atomic(&a.out.join("zero-data.md"), md.as_bytes())?;
    print!("{md}");
    Ok(())
}

fn zero_data_markdown(r: &ZeroDataReport) -> String {
    let mut s = format!("# 0 % data: compiled (CPN) vs random init (RND, mean of {} draws)\n\n", r.trials);
    s += &format!("Checkpoint `{}`; command `{}`.\n\n", r.checkpoint, r.command);
    if let Some((sum, _)) = &r.held_out {
        s += "## Held-out programs\n\n| programs | CPN mean MSE | RND mean MSE | improvement (geo. mean of RND ÷ CPN) | ratio of means | CPN better |\n|---|---|---|---|---|---|\n";
        s += &format!(
            "| {} | {:.4e} | {:.4e} | {:.2}× | {:.2}× | {} of {} |\n\n",
            sum.programs,
            sum.mean_cpn_mse,
            sum.mean_rnd_mse,
            sum.geometric_mean_improvement,
            sum.ratio_of_means,
            sum.cpn_better,
            sum.programs
        );
    }
    if !r.parrot.is_empty() {
        s += "## ParrotBench\n\n| program | inputs → outputs | CPN MSE | RND MSE | RND ÷ CPN | note |\n|---|---|---|---|---|---|\n";
        for p in &r.parrot {
            match &p.row {
                Some(row) => {
                    s += &format!(
                        "| {} | {} → {} | {:.4e} | {:.4e} | {:.2}× | {} |\n",
                        p.program,
                        row.n_in,
                        row.n_out,
                        row.cpn_mse,
                        row.rnd_mse,
                        row.improvement(),
                        p.note
                    )
                }
                None => s += &format!("| {} | | | | | {} |\n", p.program, p.note),
            }
        }
    }
    s
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
    let seqs: Vec<Vec<u32>> = (0..a.programs)
        .map(|_| (0..a.tokens).map(|k| if k == 0 { 2 } else { rng.random_range(5..vocab as u32) }).collect())
        .collect();
    let refs: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
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
