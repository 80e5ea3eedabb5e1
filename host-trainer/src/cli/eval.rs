//! `compnet eval`: the paper's protocol with our system → `report.md`, `results.json`, plots.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, ensure};
use clap::Args;
use compnet_datasets::c_tokens::EncodedProgram;
use compnet_datasets::images::ImageSet;
use compnet_datasets::parrot;
use compnet_datasets::signature::Signature;
use compnet_datasets::store::{self, ProgramRecord};
use compnet_runtime::{Metadata, Precision, SurrogateView};
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::compile::{first_covering, load_compnets};
use crate::compnet::covering::training_frame;
use crate::compnet::network::CompNet;
use crate::compnet::{CoveringShape, RandomInit};
use crate::eval::baselines::{
    BASELINE_PAIRS, BaselineConfig, FOMAML_STEPS, PTS_STEPS, baseline_programs, fomaml, pretrain_shared,
};
use crate::eval::colour;
use crate::eval::finetune::FinetuneConfig;
use crate::eval::protocol::{BenchProgram, CpnReading, Inits, Method, Run, Start, epochs_to, run, trial_pairs};
use crate::eval::report::{self, BenchmarkResult, ColourResult, EvalReport};

/// The product `compnet eval` measures on its device before finetuning, `[batch, m, k, n]`: a
/// finetuning batch's first layer (`compnet device-check` measures more).
const ARITHMETIC_PROBE: [usize; 4] = [16, 256, 18, 32];

#[derive(Debug, Args)]
pub(super) struct EvalArgs {
    /// Only redraw `report.md` and the plots into --out from an earlier run's `results.json`;
    /// repeatable: runs of disjoint benchmarks (`--no-parrot`, and one without `--exestack`, run
    /// side by side) become one report.
    #[arg(long)]
    report_from: Vec<PathBuf>,
    /// Few programs, trials and epochs (minutes on a CPU): what CI runs.
    #[arg(long)]
    quick: bool,
    /// CompNet checkpoint folders, repeatable: each program is compiled by the first whose
    /// covering shape covers it (default: the shipped ones, `default` then `wide`). ExeStack
    /// programs are sampled from those the first covers.
    #[arg(long = "checkpoint")]
    checkpoints: Vec<PathBuf>,
    /// Held-out ExeStack programs (a `test.parquet`: each program's `train` rows are its training
    /// I/O, its `test` rows the test set).
    #[arg(long)]
    exestack: Option<PathBuf>,
    /// Training programs for PTS and FOMAML (Parquet; their `train` rows); repeatable.
    #[arg(long = "train")]
    train: Vec<PathBuf>,
    /// Folder of the ParrotBench Parquet files (built if absent).
    #[arg(long, default_value = "data/parrot")]
    parrot_data: PathBuf,
    /// ParrotBench programs (default all six and the four single-output splits of fft and
    /// inversek2j that, with kmeans and sobel, make the paper's ParrotBenchCPN set; quick: fft,
    /// inversek2j, kmeans, jpeg, fft_sin).
    #[arg(long = "parrot", value_delimiter = ',', conflicts_with = "no_parrot")]
    parrot: Vec<String>,
    /// No ParrotBench programs (an ExeStack-only run).
    #[arg(long)]
    no_parrot: bool,
    /// ExeStack programs sampled (seeded).
    #[arg(long)]
    programs: Option<usize>,
    /// Trials per program and size.
    #[arg(long)]
    trials: Option<usize>,
    /// Finetuning epochs (full-batch Adam steps).
    #[arg(long)]
    epochs: Option<usize>,
    /// Data sizes (shares of each program's training pairs).
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.0, 0.001, 0.01, 0.1, 1.0])]
    sizes: Vec<f64>,
    /// Training pairs kept per ParrotBench program (its "100 %"), sampled; 0 keeps them all, as
    /// the paper's protocol does (fft 32,768, sobel 262,144, …). `--quick` keeps 1,024.
    #[arg(long, default_value_t = 0)]
    parrot_pairs: usize,
    /// Test pairs per program.
    #[arg(long, default_value_t = 1024)]
    test_pairs: usize,
    /// PTS steps / FOMAML meta steps.
    #[arg(long)]
    baseline_steps: Option<usize>,
    /// CPN finetunes two starts per trial and keeps the one with the lower validation loss: the
    /// compiled surrogate, and the same with its dormant hidden units (contribution below this
    /// share of their layer's mean, on the trial's training inputs) given fresh incoming and
    /// zero outgoing weights, which keeps the function and lets the units learn
    /// (`compnet::recycle`). 0: the compiled start only.
    #[arg(long, default_value_t = 0.1)]
    recycle: f64,
    /// A third CPN start (with --recycle above 0): the compiled surrogate with its dormant units
    /// made copies of its live ones (Net2Net's widening: incoming weights copied and moved by this
    /// share of the Xavier spread, outgoing weights shared), which keeps the function and spreads
    /// it over every unit (`compnet::recycle::spread_live`). 0: two starts
    #[arg(long, default_value_t = 0.0)]
    spread: f64,
    /// More CompNets for CPN to start from (repeatable): for programs of a covering shape that is
    /// theirs, each trial also finetunes their compiled surrogate and (with --recycle) their
    /// recycled stretched reading, and keeps the start of lowest validation loss among all of
    /// CPN's. At 0 % CPN stays the first CompNet's compiled surrogate.
    #[arg(long = "cpn-also")]
    cpn_also: Vec<PathBuf>,
    /// The control for CPN's starts: every method finetunes as many starts per trial as CPN and
    /// keeps the one with the lowest validation loss, PTS and FOMAML theirs and its recycled (and,
    /// with --spread, spread) version, RND as many random draws.
    #[arg(long)]
    twins: bool,
    /// A control in RND's place: its Xavier-uniform draw times this (1: the paper's RND). With
    /// --rnd-bias, a start of small weights and negative hidden biases, which closes part of CPN's
    /// lead at 100 % (docs/compnet.md, "What the 10 and 100 % rows measure").
    #[arg(long, default_value_t = 1.0)]
    rnd_scale: f32,
    /// The control's hidden biases (0: the paper's RND; `--rnd-bias -2.7` reads as a number).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    rnd_bias: f32,
    /// The methods run (RND always: the improvements are over it). Without PTS and FOMAML no
    /// `--train` is needed; `--report-from` puts such a run's rows in place of another run's
    /// with the same data, when their RND rows agree.
    #[arg(long, value_delimiter = ',', default_values_t = vec!["CPN".to_owned(), "FOMAML".into(), "PTS".into(), "RND".into()])]
    methods: Vec<String>,
    /// Output folder.
    #[arg(long, default_value = "runs/eval")]
    out: PathBuf,
    /// Where the scikit-image wheel (the photographs) is cached.
    #[arg(long)]
    cache: Option<PathBuf>,
    /// cpu, or cuda[:N] in a CUDA build.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Seed of the sampling, the trials and the baselines.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Programs left out of a benchmark, with why.
type LeftOut = Vec<(String, String)>;

/// Records grouped by program: `(train rows, test rows)`.
fn by_program(records: Vec<ProgramRecord>) -> Vec<(ProgramRecord, ProgramRecord)> {
    let mut order = Vec::new();
    let mut map: HashMap<String, (Option<ProgramRecord>, Option<ProgramRecord>)> = HashMap::new();
    for r in records {
        let e = map.entry(r.name.clone()).or_insert_with(|| {
            order.push(r.name.clone());
            (None, None)
        });
        if r.split == "train" { e.0 = Some(r) } else { e.1 = Some(r) }
    }
    order.into_iter().filter_map(|n| map.remove(&n)).filter_map(|(a, b)| Some((a?, b?))).collect()
}

/// `source` as `net` reads it: its vocabulary, its length.
fn encode(net: &CompNet, source: &str) -> Option<EncodedProgram> {
    net.vocabulary().encode_program(source, usize::MAX).ok().map(|mut t| {
        t.truncate(net.max_tokens());
        t
    })
}

/// Padding a batch's programs costs arithmetic, splitting them costs kernel launches. Measured
/// on an H200: a program's 36 surrogates (9 trials × 4 methods) on this many more pairs each cost
/// about 1.5 ms an epoch (jmeint's 80,000 at 100 %: 14 ms), one more batch's launches about 2.5 ms
/// (a batch at 0.1 %: 12.6 s for 5,000 epochs); so a program is padded by at most this many.
const PADDING_PAIRS: usize = 8192;

/// Groups programs, given as `(benchmark, training pairs)`, into finetuning batches: one
/// benchmark per batch, no program padded by more than [`PADDING_PAIRS`]. Each batch lists places
/// in `programs`, in their order.
fn like_sized_batches(programs: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..programs.len()).collect();
    // Largest first within a benchmark: a batch opens with its largest program.
    order.sort_by_key(|&i| (programs[i].0, std::cmp::Reverse(programs[i].1)));
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let (bench, pairs) = programs[i];
        match batches.last_mut() {
            Some(b) if programs[b[0]].0 == bench && programs[b[0]].1 - pairs <= PADDING_PAIRS => b.push(i),
            _ => batches.push(vec![i]),
        }
    }
    for b in &mut batches {
        b.sort_unstable();
    }
    batches
}

/// `k` of `n` indices spread over the whole range, `⌊i·n/k⌋` (all `n` when `k ≥ n`): the same
/// pairs as ci/gpu-eval-prepare.sh keeps, so that a thinned data file and the whole one give
/// one test set.
fn evenly(n: usize, k: usize) -> Vec<usize> {
    let k = k.min(n);
    (0..k).map(|i| i * n / k).collect()
}

pub(super) fn eval_command(a: EvalArgs) -> anyhow::Result<()> {
    if !a.report_from.is_empty() {
        let mut reports = Vec::new();
        for path in &a.report_from {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            reports.push(
                serde_json::from_str::<EvalReport>(&text)
                    .with_context(|| format!("{} is not an eval results file", path.display()))?,
            );
        }
        let r = report::merge(reports)?;
        print!("{}", report::write(&a.out, &r)?);
        return Ok(());
    }
    let started = Instant::now();
    let device = crate::device::parse(&a.device)?;
    // How this device multiplies (a GPU may read f32 as TF32): said in the report.
    let arithmetic = crate::device::matmul_precision(&device, ARITHMETIC_PROBE, 0)?;
    let nets = load_compnets(&a.checkpoints, &device)?;
    let also_nets = if a.cpn_also.is_empty() { Vec::new() } else { load_compnets(&a.cpn_also, &device)? };
    // members[k]: the programs (places in the whole) CompNet k compiles.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); nets.len()];
    let covering = nets[0].covering.clone();
    let quick = a.quick;
    let trials = a.trials.unwrap_or(if quick { 2 } else { 9 });
    let n_exestack = a.programs.unwrap_or(if quick { 4 } else { 100 });
    let finetune_config = FinetuneConfig {
        epochs: a.epochs.unwrap_or(if quick { 40 } else { 5000 }),
        learning_rate: 0.01,
        record_every: 10,
    };
    let baseline = |steps: usize| BaselineConfig::protocol(a.baseline_steps.unwrap_or(steps), a.seed);
    let (pts_config, maml_config) =
        (baseline(if quick { 40 } else { PTS_STEPS }), baseline(if quick { 20 } else { FOMAML_STEPS }));
    ensure!(a.sizes.iter().all(|s| (0.0..=1.0).contains(s)), "--sizes must be shares in [0, 1]: {:?}", a.sizes);
    super::check_start_flags(a.recycle, a.spread)?;
    ensure!(!a.twins || a.recycle > 0.0, "--twins gives every method CPN's two starts: it needs --recycle above 0");
    ensure!(
        a.rnd_scale.is_finite() && a.rnd_scale > 0.0,
        "--rnd-scale {} must be a finite number above 0",
        a.rnd_scale
    );
    ensure!(a.rnd_bias.is_finite(), "--rnd-bias {} must be a finite number", a.rnd_bias);
    let rnd = RandomInit { weight_scale: a.rnd_scale, hidden_bias: a.rnd_bias };
    // In report order, whatever the order given.
    let given = a.methods.iter().map(|m| Method::parse(m)).collect::<anyhow::Result<Vec<_>>>()?;
    let methods: Vec<Method> = Method::ALL.into_iter().filter(|m| given.contains(m)).collect();
    ensure!(methods.contains(&Method::Rnd), "--methods must include RND: every improvement is over it");
    let baselines = methods.iter().any(|m| matches!(m, Method::Pts | Method::Fomaml));
    ensure!(!baselines || !a.train.is_empty(), "give training programs for PTS and FOMAML with --train FILE");

    // (name, programs, programs left out with why)
    let mut benchmarks: Vec<(&str, Vec<BenchProgram>, LeftOut)> = Vec::new();
    let mut colour_result = None;
    if let Some(path) = &a.exestack {
        let mut programs = Vec::new();
        let mut left_out = Vec::new();
        let mut groups = by_program(store::read_records(path).with_context(|| format!("reading {}", path.display()))?);
        groups.shuffle(&mut ChaCha8Rng::seed_from_u64(a.seed ^ 0xe5e5));
        for (tr, te) in groups {
            if programs.len() == n_exestack {
                break;
            }
            if !covering.covers(tr.pairs.n_in(), tr.pairs.n_out()) {
                left_out.push((tr.name.clone(), "outside the covering shape".to_owned()));
                continue;
            }
            let Some(tokens) = encode(&nets[0].net, &tr.source) else { continue };
            let test = te.pairs.select(&evenly(te.pairs.len(), a.test_pairs));
            programs.push(BenchProgram {
                name: tr.name.clone(),
                tokens,
                source: tr.source.clone(),
                domain: tr.domain.clone(),
                frame: tr.domain.clone(),
                train: tr.pairs,
                test,
            });
        }
        ensure!(!programs.is_empty(), "no ExeStack program of {} fits the covering shape", path.display());
        benchmarks.push(("ExeStack", programs, left_out));
    }

    let names: Vec<String> = if a.no_parrot {
        Vec::new()
    } else if !a.parrot.is_empty() {
        a.parrot.clone()
    } else if quick {
        vec!["fft".into(), "inversek2j".into(), "kmeans".into(), "jpeg".into(), "fft_sin".into()]
    } else {
        // The six, and the single-output splits that complete the paper's ParrotBenchCPN set.
        parrot::programs()
            .iter()
            .map(|p| p.name)
            .chain(parrot::splits().iter().map(|s| s.name))
            .map(Into::into)
            .collect()
    };
    // The six programs are ParrotBench; the splits of fft and inversek2j, with ParrotBench's
    // sobel and kmeans joined in by the report, are the paper's ParrotBenchCPN.
    let mut parrot_sets = [(report::PARROT, Vec::new(), Vec::new()), (report::PARROT_CPN, Vec::new(), Vec::new())];
    for name in &names {
        let split = parrot::find_split(name);
        let program = match split {
            Some(s) => s.parent(),
            None => parrot::find(name).with_context(|| {
                let splits: Vec<&str> = parrot::splits().iter().map(|s| s.name).collect();
                format!("--parrot {name}: the single-output splits are {}", splits.join(", "))
            })?,
        };
        let (_, programs, left_out) = &mut parrot_sets[usize::from(split.is_some())];
        let (n_in, n_out) = (program.n_in(), split.map_or(program.n_out(), |_| 1));
        let Some(reader) = first_covering(&nets, n_in, n_out) else {
            let shapes: Vec<_> = nets.iter().map(|n| n.covering.widths()).collect();
            left_out.push((name.clone(), format!("{n_in} → {n_out} is outside every covering shape {shapes:?}")));
            continue;
        };
        if !a.parrot_data.join(parrot::file_name(program)).exists() {
            super::parrot_data(program.name, &a.parrot_data, a.cache.as_deref())?;
        }
        let mut data = parrot::load(&a.parrot_data, program)?;
        if let Some(s) = split {
            data.train = s.pairs(&data.train);
            data.test = s.pairs(&data.test);
        }
        let mut idx: Vec<usize> = (0..data.train.len()).collect();
        idx.shuffle(&mut ChaCha8Rng::seed_from_u64(a.seed ^ 0x7a11));
        let keep = match (a.parrot_pairs, quick) {
            (0, true) => 1024,
            (0, false) => usize::MAX,
            (n, _) => n,
        };
        idx.truncate(keep);
        let source = split.map_or(program.source, |s| s.source);
        let declared = split.map_or(program.signature, |s| s.signature);
        let signature = Signature::parse(declared).with_context(|| format!("{name}'s signature parses"))?;
        programs.push(BenchProgram {
            name: name.clone(),
            tokens: encode(&nets[reader].net, source).with_context(|| format!("{name}'s source lexes"))?,
            source: source.to_owned(),
            domain: program.domain.to_vec(),
            frame: training_frame(&signature),
            train: data.train.select(&idx),
            test: data.test.select(&evenly(data.test.len(), a.test_pairs)),
        });
    }
    for (name, programs, left_out) in parrot_sets {
        if !programs.is_empty() || !left_out.is_empty() {
            benchmarks.push((name, programs, left_out));
        }
    }

    // Each program goes to the first CompNet whose covering shape covers it; the programs of one
    // CompNet and one benchmark whose training sizes at a data size are alike
    // (`like_sized_batches`) are one batched finetuning of all their methods and trials.
    let all: Vec<BenchProgram> = benchmarks.iter().flat_map(|b| b.1.iter().cloned()).collect();
    // bench_of[place]: which benchmark the program at that place belongs to.
    let bench_of: Vec<usize> =
        benchmarks.iter().enumerate().flat_map(|(k, b)| std::iter::repeat_n(k, b.1.len())).collect();
    let parrot_train_pairs: std::collections::BTreeMap<String, usize> = benchmarks
        .iter()
        .filter(|b| b.0 == report::PARROT)
        .flat_map(|b| b.1.iter().map(|p| (p.name.clone(), p.train.len())))
        .collect();
    for (i, p) in all.iter().enumerate() {
        let k = first_covering(&nets, p.train.n_in(), p.train.n_out());
        members[k.expect("programs outside every covering were left out")].push(i);
    }
    for n in &also_nets {
        if !nets.iter().zip(&members).any(|(f, m)| !m.is_empty() && f.covering == n.covering) {
            eprintln!(
                "warning: --cpn-also {}: no program here is compiled in its covering shape {:?}, so it adds no start",
                n.path.display(),
                n.covering.widths()
            );
        }
    }
    // (size index, places in `all`, run) of every finetuned batch.
    let mut parts: Vec<(usize, Vec<usize>, Run)> = Vec::new();
    for (family, places) in nets.iter().zip(&members).filter(|(_, m)| !m.is_empty()) {
        let programs: Vec<BenchProgram> = places.iter().map(|&i| all[i].clone()).collect();
        eprintln!("{}: covering {:?}, {} programs", family.path.display(), family.covering.widths(), programs.len());
        // PTS and FOMAML learn from the training programs' I/O alone, in this covering shape.
        let (mut pts, mut fomaml_init) = (Vec::new(), Vec::new());
        if baselines {
            let train_set = baseline_programs(&a.train, &family.covering, &family.net.vocabulary(), BASELINE_PAIRS)?;
            eprintln!("baseline training programs: {}", train_set.describe());
            let bar = ProgressBar::new(0);
            if methods.contains(&Method::Pts) {
                pts = pretrain_shared(&family.covering, &train_set, &pts_config, &device, &bar)?;
            }
            if methods.contains(&Method::Fomaml) {
                fomaml_init = fomaml(&family.covering, &train_set, &maml_config, &device, &bar)?;
            }
            bar.finish_and_clear();
        }
        let n_params = family.covering.n_params();
        let tokens: Vec<&EncodedProgram> = programs.iter().map(|p| &p.tokens).collect();
        let stretched = Inits::generate_cpn(&family.net, &tokens, &device)?;
        let cpn = Inits::reframed(&family.covering, &stretched, &programs);
        // More CompNets of this covering shape, each reading the sources its own way.
        let also = also_nets
            .iter()
            .filter(|n| n.covering == family.covering)
            .map(|n| {
                let tokens: Vec<EncodedProgram> = programs
                    .iter()
                    .map(|p| {
                        encode(&n.net, &p.source).with_context(|| format!("{} reading {}", n.path.display(), p.name))
                    })
                    .collect::<anyhow::Result<_>>()?;
                let stretched = Inits::generate_cpn(&n.net, &tokens.iter().collect::<Vec<_>>(), &device)?;
                let compiled = Inits::reframed(&n.covering, &stretched, &programs);
                Ok(CpnReading { compiled, stretched })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for (s, &size) in a.sizes.iter().enumerate() {
            // Programs of one benchmark and of like training sizes at this data size finetune in
            // one batch: fft's 26,214 training pairs are not padded to sobel's 209,715.
            let bench_and_pairs: Vec<(usize, usize)> =
                places.iter().map(|&place| (bench_of[place], trial_pairs(all[place].train.len(), size).0)).collect();
            for batch in like_sized_batches(&bench_and_pairs) {
                let t = Instant::now();
                let batch_programs: Vec<BenchProgram> = batch.iter().map(|&i| programs[i].clone()).collect();
                let batch_places: Vec<usize> = batch.iter().map(|&i| places[i]).collect();
                // The batch's rows of a `[programs, n_params]` array.
                let rows = |all: &[f32]| -> Vec<f32> {
                    batch.iter().flat_map(|&i| all[i * n_params..(i + 1) * n_params].iter().copied()).collect()
                };
                let inits = Inits {
                    cpn: rows(&cpn),
                    cpn_stretched: rows(&stretched),
                    cpn_also: also
                        .iter()
                        .map(|r| CpnReading { compiled: rows(&r.compiled), stretched: rows(&r.stretched) })
                        .collect(),
                    pts: pts.clone(),
                    fomaml: fomaml_init.clone(),
                    cpn_recycle: a.recycle as f32,
                    cpn_spread: a.spread as f32,
                    twins: a.twins,
                    rnd,
                };
                let sized = run(
                    &batch_programs,
                    &family.covering,
                    &inits,
                    &methods,
                    size,
                    trials,
                    &finetune_config,
                    a.seed,
                    &device,
                )?;
                eprintln!(
                    "{:>7}: {} programs of up to {} training pairs × {trials} trials × {} methods in {:.1} s{}",
                    format!("{} %", size * 100.0),
                    batch_programs.len(),
                    batch.iter().map(|&i| bench_and_pairs[i].1).max().unwrap_or(0),
                    methods.len(),
                    t.elapsed().as_secs_f64(),
                    if size > 0.0 && a.recycle > 0.0 {
                        starts_kept(&sized, a.twins, a.spread > 0.0)
                    } else {
                        String::new()
                    }
                );
                parts.extend(sized.into_iter().map(|r| (s, batch_places.clone(), r)));
            }
        }
    }
    // One run per (size, method) over every program.
    let runs: Vec<Run> = (0..a.sizes.len())
        .flat_map(|s| methods.iter().map(move |&m| (s, m)))
        .map(|(s, m)| {
            let mine: Vec<(&[usize], Run)> = parts
                .iter()
                .filter(|(k, _, r)| *k == s && r.method == m)
                .map(|(_, places, r)| (places.as_slice(), r.clone()))
                .collect();
            Run::merge(&mine, all.len())
        })
        .collect();
    let mut results = Vec::new();
    let mut offset = 0;
    for (name, programs, left_out) in benchmarks {
        let span = offset..offset + programs.len();
        offset = span.end;
        let part: Vec<Run> = runs.iter().map(|r| r.programs(span.clone())).collect();
        if let Some(k) = programs.iter().position(|p| p.name == "kmeans") {
            let family = members.iter().position(|m| m.contains(&(span.start + k))).expect("kmeans ran");
            colour_result = Some(colour_quantization(&part, k, &programs[k], &nets[family].covering, &a)?);
        }
        results.push(summarize(name, &programs, left_out, &a.sizes, &part));
    }
    let benchmarks = results;

    let mut report = EvalReport {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        quick,
        config: serde_json::json!({
            "checkpoint": super::shown(&nets[0].path),
            "covering": covering.widths(),
            "compnets": nets.iter().zip(&members).map(|(f, places)| serde_json::json!({
                "checkpoint": super::shown(&f.path),
                "covering": f.covering.widths(),
                "programs": places.iter().map(|&i| all[i].name.clone()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "trials": trials,
            "exestack_programs": n_exestack,
            "finetune": finetune_config,
            "cpn_recycle": a.recycle,
            // CPN's second start recycles CompNet's output stretched onto the domain (before
            // 2026-12-03 its compiled start, which then was that same reading).
            "cpn_second_start": "stretched",
            "cpn_spread": a.spread,
            "cpn_also": a.cpn_also.iter().map(|p| super::shown(p)).collect::<Vec<_>>(),
            "twins": a.twins,
            "rnd": rnd,
            "pts": pts_config,
            "fomaml": maml_config,
            "parrot_train_pairs": parrot_train_pairs,
            "test_pairs": a.test_pairs,
            "seed": a.seed,
            "device": a.device,
            "device_arithmetic": {
                "product": ARITHMETIC_PROBE,
                "mean_relative": arithmetic.mean_relative,
                "bits": arithmetic.bits(),
                "below_f32": arithmetic.reduced(),
            },
        }),
        benchmarks,
        colour: colour_result,
        seconds: started.elapsed().as_secs_f64(),
    };
    report::complete_paper_set(&mut report)?;
    print!("{}", report::write(&a.out, &report)?);
    Ok(())
}

/// How many trials kept each start other than their own, for the progress line: CPN's, or with
/// twins every method's.
fn starts_kept(runs: &[Run], twins: bool, spread: bool) -> String {
    let kept = |r: &Run, s: Start| r.kept_start.iter().flatten().filter(|&&k| k == s).count();
    let of = runs.first().map_or(0, |r| r.kept_start.iter().flatten().count());
    let line = |r: &Run| {
        let (second, third) = (kept(r, Start::Recycled), kept(r, Start::Spread));
        match (r.method, spread) {
            (Method::Rnd, false) => format!("{second} second draws"),
            (Method::Rnd, true) => format!("{second} second and {third} third draws"),
            (_, false) => format!("{second} recycled"),
            (_, true) => format!("{second} recycled and {third} spread"),
        }
    };
    // CPN's starts from the CompNets of --cpn-also, and the other methods' twins of them.
    let others = |r: &Run| {
        let n = r.kept_start.iter().flatten().filter(|k| matches!(k, Start::Also(_) | Start::AlsoRecycled(_))).count();
        match (n, r.method) {
            (0, _) => String::new(),
            (_, Method::Cpn) => format!(", {n} from other CompNets"),
            (_, Method::Rnd) => format!(", {n} later draws"),
            _ => format!(", {n} recycled again"),
        }
    };
    let shown: Vec<String> = runs
        .iter()
        .filter(|r| twins || r.method == Method::Cpn)
        .map(|r| format!("{} {}{}", r.method.name(), line(r), others(r)))
        .collect();
    format!("; of {of} trials, kept {}", shown.join(", "))
}

/// One benchmark's numbers from its programs' runs.
fn summarize(
    name: &str,
    programs: &[BenchProgram],
    left_out: Vec<(String, String)>,
    sizes: &[f64],
    runs: &[Run],
) -> BenchmarkResult {
    let get = |m: Method, size: f64| runs.iter().find(|r| r.method == m && r.size == size).expect("every run exists");
    let mut mean_test = BTreeMap::new();
    let mut epochs = BTreeMap::new();
    let largest = sizes.iter().copied().fold(0.0, f64::max);
    let targets: Vec<f64> =
        get(Method::Rnd, largest).curves.iter().map(|c| c.last().map_or(f64::NAN, |l| l.1)).collect();
    let mut trial_test = report::TrialTests::new();
    for m in Run::methods(runs) {
        mean_test.insert(m.name().to_owned(), sizes.iter().map(|&s| get(m, s).mean_test()).collect());
        let by_program = trial_test.entry(m.name().to_owned()).or_default();
        for &s in sizes {
            for (name, trials) in programs.iter().map(|p| &p.name).zip(&get(m, s).test) {
                by_program.entry(name.clone()).or_default().insert(report::size_key(s), trials.clone());
            }
        }
        epochs.insert(
            m.name().to_owned(),
            get(m, largest).curves.iter().zip(&targets).map(|(c, &t)| epochs_to(c, t)).collect(),
        );
    }
    BenchmarkResult {
        name: name.to_owned(),
        programs: programs.iter().map(|p| p.name.clone()).collect(),
        left_out,
        sizes: sizes.to_vec(),
        improvement: report::improvements(&mean_test).expect("RND is one of the methods"),
        mean_test,
        epochs_to_target: epochs,
        trial_test,
    }
}

/// kmeans' colour quantization with every method's finetuned surrogates at every size, on
/// centre crops of the three photographs.
fn colour_quantization(
    runs: &[Run],
    k: usize,
    program: &BenchProgram,
    covering: &CoveringShape,
    a: &EvalArgs,
) -> anyhow::Result<ColourResult> {
    let dir = a.cache.clone().unwrap_or_else(ImageSet::default_cache_dir);
    let images =
        ImageSet::fetch(&dir).with_context(|| format!("cannot get the photographs (cache {})", dir.display()))?;
    let side = if a.quick { 64 } else { 160 };
    let photos = [("astronaut", &images.astronaut), ("coffee", &images.coffee), ("chelsea", &images.chelsea)]
        .map(|(n, im)| (n, im.centre_crop(side, side)));
    let exact: Vec<_> = photos
        .iter()
        .map(|(_, im)| {
            let mut d = |x: &[f32], y: &mut [f32]| (parrot::find("kmeans").expect("kmeans exists").reference)(x, y);
            colour::quantize(&colour::pixels(im), im.width, im.height, &mut d)
        })
        .collect();
    let mut by_method = BTreeMap::new();
    let mut strip = Vec::new();
    for m in Run::methods(runs) {
        let mut rows = Vec::new();
        for r in runs.iter().filter(|r| r.method == m) {
            let (mut mses, mut ssims) = (Vec::new(), Vec::new());
            for (t, params) in r.params[k].iter().enumerate() {
                let s = covering.surrogate(params, Metadata::named("kmeans"), &program.domain, 1)?;
                let blob = s.to_blob(Precision::F32);
                let view = SurrogateView::parse(&blob)?;
                let mut d = |x: &[f32], y: &mut [f32]| {
                    view.eval::<{ compnet_runtime::blob::MAX_WIDTH }>(x, y).expect("6 → 1 surrogate");
                };
                for ((_, im), ex) in photos.iter().zip(&exact) {
                    let q = colour::quantize(&colour::pixels(im), im.width, im.height, &mut d);
                    mses.push(colour::mse(&q, ex));
                    ssims.push(colour::ssim(&q, ex));
                    if t == 0
                        && (r.size == 0.0 || (r.size - 0.1).abs() < 1e-12)
                        && strip.len() < 16
                        && std::ptr::eq(im, &photos[2].1)
                    {
                        strip.push(q);
                    }
                }
            }
            let n = mses.len().max(1) as f64;
            let mean = mses.iter().sum::<f64>() / n;
            let sd = (mses.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            rows.push((mean, sd, ssims.iter().sum::<f64>() / n));
        }
        by_method.insert(m.name().to_owned(), rows);
    }
    // One picture: the exact result, then each method at 0 % and 10 % (chelsea crop).
    let mut all = vec![exact[2].clone()];
    all.extend(strip);
    let (w, h) = (all[0].width, all[0].height);
    let mut rgb = Vec::with_capacity(3 * w * h * all.len());
    for y in 0..h {
        for im in &all {
            rgb.extend_from_slice(&im.rgb[3 * y * w..3 * (y + 1) * w]);
        }
    }
    std::fs::create_dir_all(&a.out)?;
    colour::write_png(
        &a.out.join("colour.png"),
        &compnet_datasets::images::Image { width: w * all.len(), height: h, rgb },
    )?;
    Ok(ColourResult { images: photos.iter().map(|(n, im)| (n.to_string(), im.width, im.height)).collect(), by_method })
}

#[cfg(test)]
mod tests {
    use super::{PADDING_PAIRS, evenly, like_sized_batches};

    #[test]
    fn evenly_spreads_over_the_whole_range() {
        assert_eq!(evenly(10, 4), [0, 2, 5, 7]);
        assert_eq!(evenly(3, 8), [0, 1, 2]);
        assert_eq!(evenly(1024, 1024), (0..1024).collect::<Vec<_>>());
        // sobel's 44,000 test pairs: the last kept is near the end (not 42,966, as a stride of
        // 42 gave).
        let sobel = evenly(44_000, 1024);
        assert_eq!((sobel.len(), sobel[1023]), (1024, 43_957));
    }

    /// Every program in exactly one batch, one benchmark per batch, padding bounded.
    fn check(programs: &[(usize, usize)]) -> Vec<Vec<usize>> {
        let batches = like_sized_batches(programs);
        for b in &batches {
            let largest = b.iter().map(|&i| programs[i].1).max().unwrap();
            assert!(b.iter().all(|&i| programs[i].0 == programs[b[0]].0 && largest - programs[i].1 <= PADDING_PAIRS));
        }
        let mut seen: Vec<usize> = batches.concat();
        seen.sort_unstable();
        assert_eq!(seen, (0..programs.len()).collect::<Vec<_>>());
        batches
    }

    #[test]
    fn batches_keep_benchmarks_apart_and_padding_bounded() {
        // ExeStack (0) at 819 training pairs; ParrotBench (1) at 100 %: sobel, jmeint, kmeans,
        // fft, inversek2j.
        let full = [(0, 819), (1, 209_715), (0, 819), (1, 80_000), (1, 40_000), (1, 26_214), (1, 8_000)];
        assert_eq!(check(&full), vec![vec![0, 2], vec![1], vec![3], vec![4], vec![5], vec![6]]);
        // At 10 %, all but sobel are within 8,192 pairs of the largest: one batch.
        let tenth = [(1, 20_972), (1, 8_000), (1, 4_000), (1, 2_621), (1, 800)];
        assert_eq!(check(&tenth), vec![vec![0], vec![1, 2, 3, 4]]);
        // Capped ParrotBench sizes (all 8,192) stay one batch, as before.
        assert_eq!(check(&[(1, 6554), (1, 6554), (1, 6277)]), vec![vec![0, 1, 2]]);
        assert!(check(&[]).is_empty());
    }
}
