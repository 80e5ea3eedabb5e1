//! The `compnet` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use compnet_datasets::IoPairs;
use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::images::ImageSet;
use compnet_datasets::parrot::{self, ParrotProgram};
use compnet_datasets::signature::Signature;
use compnet_runtime::{Metadata, Precision, SurrogateView};
use indicatif::{ProgressBar, ProgressStyle};

use crate::artifacts;
use crate::fit::{FitConfig, fit, mse};

mod compile;
mod eval;
mod exestack;
mod export;
mod model_file;
mod run;
mod train;
mod zero_data;

/// compnet: compiles C functions into neural surrogates.
#[derive(Debug, Parser)]
#[command(name = "compnet", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build I/O datasets (Parquet).
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Train a surrogate from random initialisation on a program's I/O pairs.
    Fit(FitArgs),
    /// Write a trained surrogate as ONNX and as a `.cpn` blob (f32 or f16).
    Export(export::ExportArgs),
    /// Evaluate a surrogate (`.cpn` or `.onnx`) on inputs, through the no-alloc core or tract.
    Run(run::RunArgs),
    /// Train a CompNet (the hypernetwork that compiles C source into surrogate weights).
    Train(train::TrainArgs),
    /// Compile a C function into a surrogate with a trained CompNet (optionally finetune it).
    Compile(compile::CompileArgs),
    /// Test MSE at 0 % data: CompNet-compiled surrogates against random initialisations.
    ZeroData(zero_data::ZeroDataArgs),
    /// Score CompNet checkpoints on validation programs as `compnet train` does after every epoch.
    Validate(train::ValidateArgs),
    /// Training throughput of a CompNet step (programs × pairs per second).
    BenchTrain(train::BenchTrainArgs),
    /// How exactly a device multiplies: the trainer's matrix products against f64 (f32 or TF32?).
    DeviceCheck(train::DeviceCheckArgs),
    /// The paper's evaluation: CPN, RND, PTS and FOMAML finetuned at growing data sizes → report.
    Eval(eval::EvalArgs),
}

#[derive(Debug, Subcommand)]
enum DatasetCommand {
    /// The six ParrotBench programs: inputs from PAPER.md's domains and real photographs,
    /// outputs from running the C sources in the sandboxed harness.
    Parrot(ParrotArgs),
    /// ExeStack: executable C functions from a corpus (a folder, or Debian source packages),
    /// sandboxed, deduplicated, split; resumable.
    Exestack(exestack::ExestackArgs),
    /// Random, deterministic numeric C functions from a grammar, in ExeStack's format.
    Synthetic(exestack::SyntheticArgs),
    /// Re-split a dataset folder's programs between train and test (whole programs move).
    Split(exestack::SplitArgs),
    /// Copies of a program file's programs with their input parameters reordered (the same
    /// functions, new text; the pairs reordered alike): more training text without running anything.
    Augment(exestack::AugmentArgs),
    /// The programs of a file whose signature passes a type filter (e.g. `--types paper`: float
    /// math, as the paper's ExeStack and ParrotBench).
    Filter(exestack::FilterArgs),
}

#[derive(Debug, Args)]
struct ParrotArgs {
    /// Output folder (one `<program>.parquet` per program).
    #[arg(long, default_value = "data/parrot")]
    out: PathBuf,
    /// Build only these programs (repeatable); default all six.
    #[arg(long = "program")]
    programs: Vec<String>,
    /// Seed of the input generators.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where the scikit-image wheel (the photographs) is cached.
    #[arg(long)]
    cache: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct FitArgs {
    /// A ParrotBench program (fft, inversek2j, jmeint, jpeg, kmeans, sobel).
    #[arg(long, conflicts_with_all = ["source", "function"], required_unless_present = "source")]
    program: Option<String>,
    /// Any C file: fit a surrogate of `--function` in it, on pairs collected through the harness.
    #[arg(long, requires = "function")]
    source: Option<PathBuf>,
    /// The function in `--source` (float/double scalar parameters, return, scalar out-pointers).
    #[arg(long)]
    function: Option<String>,
    /// With `--source`: the input domain, `lo:hi`, sampled uniformly for every input.
    #[arg(long, default_value = "-1:1", allow_hyphen_values = true)]
    domain: String,
    /// With `--source`: training pairs to collect (a further quarter is collected for the test).
    #[arg(long, default_value_t = 8192)]
    pairs: usize,
    /// Folder of the ParrotBench Parquet files (built on first use if absent).
    #[arg(long, default_value = "data/parrot")]
    data: PathBuf,
    /// Output folder; default `runs/fit/<program>`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Hidden widths, comma-separated; default Parrot's topology for ParrotBench programs, else 16,16.
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Hidden activation: sigmoid, tanh or relu.
    #[arg(long, default_value = "sigmoid")]
    activation: String,
    /// Epochs; default enough for about 60k Adam steps (at least 60 epochs).
    #[arg(long)]
    epochs: Option<usize>,
    /// Pairs per Adam step.
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Initial learning rate (cosine-decayed to 1 % of it).
    #[arg(long, default_value_t = 1e-2)]
    lr: f64,
    /// Seed of the split, initialisation and batch order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, or cuda[:N] in a CUDA build.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Where the scikit-image wheel (the photographs) is cached.
    #[arg(long)]
    cache: Option<PathBuf>,
}

/// Runs the command line; errors are printed with their causes and give exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::device::stop_on_runtime_panic();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Dataset(DatasetCommand::Parrot(a)) => dataset_parrot(a),
        Command::Dataset(DatasetCommand::Exestack(a)) => exestack::exestack_command(a),
        Command::Dataset(DatasetCommand::Synthetic(a)) => exestack::synthetic_command(a),
        Command::Dataset(DatasetCommand::Split(a)) => exestack::split_command(a),
        Command::Dataset(DatasetCommand::Augment(a)) => exestack::augment_command(a),
        Command::Dataset(DatasetCommand::Filter(a)) => exestack::filter_command(a),
        Command::Fit(a) => fit_command(a),
        Command::Export(a) => export::export_command(a),
        Command::Run(a) => run::run_command(a),
        Command::Train(a) => train::train_command(a),
        Command::Compile(a) => compile::compile_command(a),
        Command::ZeroData(a) => zero_data::zero_data_command(a),
        Command::Validate(a) => train::validate_command(a),
        Command::BenchTrain(a) => train::bench_train_command(a),
        Command::DeviceCheck(a) => train::device_check_command(a),
        Command::Eval(a) => eval::eval_command(a),
    }
}

fn images(cache: Option<&Path>) -> anyhow::Result<ImageSet> {
    let dir = cache.map(Path::to_path_buf).unwrap_or_else(ImageSet::default_cache_dir);
    ImageSet::fetch(&dir).with_context(|| format!("cannot get the photographs (cache {})", dir.display()))
}

fn select_programs(names: &[String]) -> anyhow::Result<Vec<&'static ParrotProgram>> {
    if names.is_empty() {
        return Ok(parrot::programs().iter().collect());
    }
    names.iter().map(|n| parrot::find(n).map_err(anyhow::Error::from)).collect()
}

fn dataset_parrot(a: ParrotArgs) -> anyhow::Result<()> {
    let programs = select_programs(&a.programs)?;
    let images = images(a.cache.as_deref())?;
    let harness = Harness::new(HarnessConfig { runs: 2, ..HarnessConfig::default() });
    let builds = parrot::build_dir(&a.out, &programs, &harness, &images, a.seed);
    let mut failed = Vec::new();
    for b in &builds {
        match &b.result {
            Ok(f) => eprintln!(
                "{:<11} {:>7} train / {:>6} test pairs  {:>6.1} MB  {:>5.1} s  → {}",
                b.program.name,
                f.train,
                f.test,
                f.bytes as f64 / 1e6,
                f.seconds,
                f.path.display()
            ),
            Err(e) => {
                eprintln!("{:<11} FAILED: {e}", b.program.name);
                failed.push(b.program.name);
            }
        }
    }
    if !failed.is_empty() {
        bail!("{} of {} programs failed: {}", failed.len(), builds.len(), failed.join(", "));
    }
    Ok(())
}

/// What a fit is trained on, wherever it came from.
struct FitData {
    name: String,
    source: String,
    signature: String,
    domain: Vec<(f32, f32)>,
    train: IoPairs,
    test: IoPairs,
    program: Option<&'static ParrotProgram>,
}

fn parrot_data(name: &str, dir: &Path, cache: Option<&Path>) -> anyhow::Result<FitData> {
    let program = parrot::find(name)?;
    let file = dir.join(parrot::file_name(program));
    if !file.exists() {
        eprintln!("{} not found: building it (compnet dataset parrot --program {name})", file.display());
        dataset_parrot(ParrotArgs {
            out: dir.to_path_buf(),
            programs: vec![name.to_owned()],
            seed: 0,
            cache: cache.map(Path::to_path_buf),
        })?;
    }
    let data = parrot::load(dir, program)?;
    Ok(FitData {
        name: program.name.to_owned(),
        source: program.source.to_owned(),
        signature: program.signature.to_owned(),
        domain: program.domain.to_vec(),
        train: data.train,
        test: data.test,
        program: Some(program),
    })
}

/// The CPN start flags `compile --finetune` and `eval` share: `--recycle` (the dormancy threshold)
/// and `--spread` (the copies' noise) are finite and ≥ 0, and spreading, which judges dormant units
/// by recycling's threshold, needs it above 0.
fn check_start_flags(recycle: f64, spread: f64) -> anyhow::Result<()> {
    anyhow::ensure!(recycle.is_finite() && recycle >= 0.0, "--recycle {recycle} must be a finite number ≥ 0");
    anyhow::ensure!(spread.is_finite() && spread >= 0.0, "--spread {spread} must be a finite number ≥ 0");
    anyhow::ensure!(
        spread == 0.0 || recycle > 0.0,
        "--spread judges dormant units by --recycle's threshold: it needs --recycle above 0"
    );
    Ok(())
}

fn parse_domain(spec: &str) -> anyhow::Result<(f32, f32)> {
    let (lo, hi) = spec.split_once(':').with_context(|| format!("--domain {spec:?} is not lo:hi"))?;
    let (lo, hi): (f32, f32) = (
        lo.trim().parse().with_context(|| format!("--domain lower bound {lo:?} is not a number"))?,
        hi.trim().parse().with_context(|| format!("--domain upper bound {hi:?} is not a number"))?,
    );
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        bail!("--domain {spec:?} must be finite with lo < hi");
    }
    Ok((lo, hi))
}

fn source_data(path: &Path, function: &str, domain: &str, pairs: usize, seed: u64) -> anyhow::Result<FitData> {
    let source = std::fs::read_to_string(path).with_context(|| format!("cannot read C source {}", path.display()))?;
    let signature = Signature::from_source(&source, function)
        .with_context(|| format!("function {function:?} in {}", path.display()))?;
    let (lo, hi) = parse_domain(domain)?;
    anyhow::ensure!(pairs >= 16, "--pairs {pairs} is too few to train and validate");
    let n_in = signature.n_in();
    let total = pairs + pairs / 4;
    let all = compile::harness_pairs(&source, &signature, (lo, hi), total, seed)
        .with_context(|| format!("running {function} from {} in the harness", path.display()))?;
    let train_idx: Vec<usize> = (0..pairs).collect();
    let test_idx: Vec<usize> = (pairs..total).collect();
    Ok(FitData {
        name: function.to_owned(),
        signature: signature.to_string(),
        source,
        domain: vec![(lo, hi); n_in],
        train: all.select(&train_idx),
        test: all.select(&test_idx),
        program: None,
    })
}

/// Default epochs: at least 60, and enough for about 60k Adam steps on small training sets.
fn default_epochs(n_train: usize, batch_size: usize) -> usize {
    let steps_per_epoch = (n_train * 4 / 5).div_ceil(batch_size).max(1);
    60.max(60_000usize.div_ceil(steps_per_epoch)).min(3000)
}

#[derive(serde::Serialize)]
struct FitReport<'a> {
    program: &'a str,
    signature: &'a str,
    topology: Vec<usize>,
    train_pairs: usize,
    test_pairs: usize,
    best_epoch: usize,
    epochs: usize,
    steps: usize,
    best_val_mse: f64,
    test_mse: f64,
    application_error: Option<AppErrorReport>,
    wall_seconds: f64,
    device: &'a str,
}

#[derive(serde::Serialize)]
struct AppErrorReport {
    metric: &'static str,
    percent: f64,
    parrot_percent: f64,
}

#[derive(serde::Serialize)]
struct SavedConfig<'a> {
    command: String,
    fit: &'a FitConfig,
    data: String,
    device: &'a str,
}

fn fit_command(a: FitArgs) -> anyhow::Result<()> {
    let device = crate::device::parse(&a.device)?;
    let data = match (&a.program, &a.source, &a.function) {
        (Some(p), _, _) => parrot_data(p, &a.data, a.cache.as_deref())?,
        (None, Some(src), Some(f)) => source_data(src, f, &a.domain, a.pairs, a.seed)?,
        _ => bail!("give --program NAME or --source FILE.c --function NAME"),
    };
    let hidden = a.hidden.clone().unwrap_or_else(|| data.program.map_or(vec![16, 16], |p| p.hidden.to_vec()));
    anyhow::ensure!(hidden.iter().all(|&h| h > 0), "--hidden widths must be positive: {hidden:?}");
    let config = FitConfig {
        hidden,
        activation: a.activation.clone(),
        epochs: a.epochs.unwrap_or_else(|| default_epochs(data.train.len(), a.batch_size)),
        batch_size: a.batch_size,
        learning_rate: a.lr,
        final_learning_rate: a.lr / 100.0,
        validation_fraction: 0.2,
        seed: a.seed,
    };
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("runs/fit").join(&data.name));
    let meta = Metadata {
        name: data.name.clone(),
        signature: data.signature.clone(),
        source_hash: Metadata::source_hash(&data.source),
        export_error: f32::NAN,
    };
    eprintln!(
        "fitting {} ({} train / {} test pairs) with {}→{}→{} {} on {}, {} epochs",
        data.name,
        data.train.len(),
        data.test.len(),
        data.train.n_in(),
        config.hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("→"),
        data.train.n_out(),
        config.activation,
        a.device,
        config.epochs
    );
    let bar = ProgressBar::new(config.epochs as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] epoch {pos}/{len} {msg}")?.progress_chars("=> "),
    );
    let start = Instant::now();
    let mut result = fit(&data.train, meta, data.domain.clone(), &config, &device, &bar)?;
    bar.finish_and_clear();

    let predicted = result.surrogate.eval_batch(data.test.inputs())?;
    let test_mse = mse(&predicted, data.test.outputs());
    result.surrogate.meta.export_error = test_mse as f32;
    let app = match data.program {
        Some(program) => {
            let images = images(a.cache.as_deref())?;
            let blob = result.surrogate.to_blob(Precision::F32);
            let view = SurrogateView::parse(&blob)?;
            let mut eval = |x: &[f32], y: &mut [f32]| {
                view.eval::<{ compnet_runtime::blob::MAX_WIDTH }>(x, y).expect("surrogate shape matches the program");
            };
            let e = parrot::application_error(program, &images, &data.test, &mut eval)?;
            Some(AppErrorReport { metric: e.metric, percent: e.percent, parrot_percent: e.parrot_percent })
        }
        None => None,
    };
    let wall = start.elapsed().as_secs_f64();

    std::fs::create_dir_all(&out).with_context(|| format!("cannot create output folder {}", out.display()))?;
    artifacts::write_atomic(&out.join("surrogate.cpn"), &result.surrogate.to_blob(Precision::F32))?;
    artifacts::write_metrics_csv(&out.join("metrics.csv"), &result.history)?;
    artifacts::write_loss_plot(
        &out.join("loss.png"),
        &format!("compnet fit {}", data.name),
        &result.history,
        result.best_epoch,
    )?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let data_desc = match &a.source {
        Some(src) => format!("{} --function {} --domain {} --pairs {}", src.display(), data.name, a.domain, a.pairs),
        None => a.data.join(format!("{}.parquet", data.name)).display().to_string(),
    };
    artifacts::write_json(
        &out.join("config.json"),
        &SavedConfig { command, fit: &config, data: data_desc, device: &a.device },
    )?;
    let report = FitReport {
        program: &data.name,
        signature: &data.signature,
        topology: result.surrogate.widths(),
        train_pairs: data.train.len(),
        test_pairs: data.test.len(),
        best_epoch: result.best_epoch,
        epochs: config.epochs,
        steps: result.steps,
        best_val_mse: result.best_val_mse,
        test_mse,
        application_error: app,
        wall_seconds: wall,
        device: &a.device,
    };
    artifacts::write_json(&out.join("report.json"), &report)?;

    println!("program      {}", data.name);
    println!("topology     {:?} ({})", report.topology, config.activation);
    println!("best epoch   {} of {}", result.best_epoch, config.epochs);
    println!("test MSE     {test_mse:.4e}");
    if let Some(e) = &report.application_error {
        println!("{:<12} {:.2} % (Parrot: {:.2} %)", e.metric, e.percent, e.parrot_percent);
    }
    println!("wall time    {wall:.1} s");
    println!("written      {}/{{surrogate.cpn, metrics.csv, loss.png, config.json, report.json}}", out.display());
    Ok(())
}

/// A path as reports show it: relative to the working directory when under it (the shipped
/// checkpoints are found through the build's absolute path).
fn shown(path: &std::path::Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd).unwrap_or(path).display().to_string()
}
