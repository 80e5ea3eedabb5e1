//! `compnet compile`: one C function → CompNet → `.onnx` + `.cpn` + an accuracy report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use burn::tensor::Device;
use clap::Args;
use compnet_datasets::IoPairs;
use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::signature::Signature;
use compnet_onnx::ExportOptions;
use compnet_runtime::Metadata;
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::export::{Exported, file_stem, write_checked};
use crate::artifacts;
use crate::compnet::CoveringShape;
use crate::compnet::checkpoint;
use crate::compnet::compile::{Compiled, compile};
use crate::compnet::recycle::{recycle_dormant, spread_live};
use crate::fit::{FitConfig, FitResult, constant_mse, fit_from, mse};

/// The checkpoint `compile` and `zero-data` use without `--checkpoint`: the one shipped in the
/// repository (`host-trainer/checkpoints/default`), or `$COMPNET_CHECKPOINT`.
pub(super) fn default_checkpoint() -> PathBuf {
    std::env::var_os("COMPNET_CHECKPOINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("checkpoints/default"))
}

/// The shipped CompNets, narrowest covering first: [`default_checkpoint`], then
/// `checkpoints/wide` (a 64 → 64 covering, for functions such as ParrotBench's jpeg) when present
/// and `$COMPNET_CHECKPOINT` is not set.
pub(super) fn shipped_checkpoints() -> Vec<PathBuf> {
    let mut out = vec![default_checkpoint()];
    let wide = Path::new(env!("CARGO_MANIFEST_DIR")).join("checkpoints/wide");
    if std::env::var_os("COMPNET_CHECKPOINT").is_none() && wide.join("compnet.json").exists() {
        out.push(wide);
    }
    out
}

/// A CompNet loaded from its checkpoint folder.
pub(super) struct LoadedCompNet {
    pub path: PathBuf,
    pub net: crate::compnet::CompNet,
    pub covering: CoveringShape,
}

/// The CompNets in `paths` (none given: [`shipped_checkpoints`]), loaded in order of preference:
/// a function goes to the first that covers it ([`first_covering`]).
pub(super) fn load_compnets(paths: &[PathBuf], device: &Device) -> anyhow::Result<Vec<LoadedCompNet>> {
    let paths = if paths.is_empty() { shipped_checkpoints() } else { paths.to_vec() };
    paths
        .into_iter()
        .map(|path| {
            let (net, config) = checkpoint::load_model(&path, device)
                .with_context(|| format!("loading the CompNet checkpoint {}", path.display()))?;
            Ok(LoadedCompNet { path, net, covering: config.covering })
        })
        .collect()
}

/// The first CompNet whose covering shape covers `n_in → n_out`.
pub(super) fn first_covering(nets: &[LoadedCompNet], n_in: usize, n_out: usize) -> Option<usize> {
    nets.iter().position(|n| n.covering.covers(n_in, n_out))
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
    /// CompNet checkpoint folder; default the first shipped one whose covering shape covers the
    /// function (`checkpoints/default`, 18 → 8; `checkpoints/wide`, 64 → 64).
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
    /// With --finetune, the compiled surrogate with its dormant hidden units recycled is
    /// finetuned too (units contributing below this share of their layer's mean get fresh
    /// incoming and zero outgoing weights), and the lower validation MSE is kept; 0: only the
    /// compiled start.
    #[arg(long, default_value_t = 0.1)]
    recycle: f64,
    /// With --finetune and --recycle, a third start too: the compiled surrogate with its dormant
    /// units made copies of its live ones, incoming weights moved by this share of the Xavier
    /// spread (`compnet eval --spread`); 0: no third start.
    #[arg(long, default_value_t = 0.0)]
    spread: f64,
    /// With --finetune, another CompNet's starts too (repeatable): the function compiled by it
    /// (read with its own vocabulary) and, with --recycle, its stretched reading recycled. The
    /// start of lowest validation MSE among all is kept (`compnet eval --cpn-also`). A CompNet
    /// whose covering shape does not cover the function is skipped with a warning.
    #[arg(long, value_name = "DIR")]
    cpn_also: Vec<PathBuf>,
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
    /// The MSE of each output's mean over the test pairs, predicted for every input: a compiled
    /// surrogate near this has the outputs' level, not the function.
    best_constant_test_mse: f64,
    finetune_pairs: usize,
    finetuned_test_mse: Option<f64>,
    /// The start the finetuned surrogate came from: `compiled`, `recycled` or `spread`, or with
    /// `--cpn-also` `compiled by DIR` or `recycled from DIR`.
    finetune_start: Option<String>,
    /// Every start finetuned, with its best validation MSE (the lowest wins; the earlier on a tie).
    finetune_validation: Vec<(String, f64)>,
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
    super::check_start_flags(a.recycle, a.spread)?;
    anyhow::ensure!(
        a.cpn_also.is_empty() || a.finetune > 0,
        "--cpn-also chooses among CompNets' starts by finetuning them: it needs --finetune N (pairs to finetune on)"
    );
    let source =
        std::fs::read_to_string(&a.file).with_context(|| format!("cannot read C source {}", a.file.display()))?;
    let signature = Signature::from_source(&source, &a.function)
        .with_context(|| format!("function {:?} in {}", a.function, a.file.display()))?;
    let domain = super::parse_domain(&a.domain)?;
    let device = Device::flex();
    let (n_in, n_out) = (signature.n_in(), signature.n_out());

    // The given CompNet, or the first shipped one whose covering shape covers the function.
    let load_started = Instant::now();
    let mut chosen = None;
    for ckpt in a.checkpoint.clone().map_or_else(shipped_checkpoints, |c| vec![c]) {
        let (net, _) = checkpoint::load_model(&ckpt, &device)
            .with_context(|| format!("loading the CompNet checkpoint {}", ckpt.display()))?;
        let fits = net.covering().covers(n_in, n_out);
        if fits || chosen.is_none() {
            chosen = Some((ckpt, net));
        }
        if fits {
            break;
        }
    }
    let (ckpt, net) = chosen.expect("at least one checkpoint");
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
    // A function outside the covering shape cannot be compiled; with --finetune it is trained
    // from a random start of the same hidden layers instead, so every admitted function works.
    let compiled = if covering.covers(n_in, n_out) || a.finetune == 0 {
        compile(&net, &source, &signature, meta, &domains, &device)?
    } else {
        eprintln!(
            "warning: {} has {n_in} inputs and {n_out} outputs, outside the CompNet's covering shape {:?}: \
             starting the finetuning from a random initialisation",
            a.function,
            covering.widths()
        );
        let own = CoveringShape { n_in, n_out, ..covering.clone() };
        let params = own.random_params(a.seed);
        let surrogate = own.surrogate(&params, meta, &domains, n_out)?;
        Compiled { surrogate, stretched: params.clone(), params, tokens: 0, truncated: false }
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
    let constant = constant_mse(test.outputs(), n_out);
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
    let mut validation = Vec::new();
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
        // As `compnet eval` does: the compiled surrogate and, when CompNet wrote it, its output
        // stretched onto the domain with the dormant units recycled (and with --spread the
        // compiled surrogate spread), then the same two of every --cpn-also CompNet that covers
        // the function; the lowest validation MSE is kept.
        let mut starts = vec![("compiled".to_owned(), surrogate.clone())];
        // The finetuning inputs as a covering shape's first layer reads them (padded to its width).
        let inputs = |covering: &CoveringShape| {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            covering.push_pairs(&pairs, 0..pairs.len(), &domains, &mut x, &mut y);
            x
        };
        // A covering's flat parameters with their dormant units recycled on those inputs.
        let recycled = |covering: &CoveringShape, mut params: Vec<f32>| -> anyhow::Result<_> {
            recycle_dormant(covering, &mut params, &inputs(covering), a.recycle as f32, a.seed)?;
            covering.surrogate(&params, surrogate.meta.clone(), &domains, n_out)
        };
        if generated && a.recycle > 0.0 {
            starts.push(("recycled".to_owned(), recycled(&covering, compiled.stretched.clone())?));
            if a.spread > 0.0 {
                let mut params = compiled.params.clone();
                spread_live(&covering, &mut params, &inputs(&covering), a.recycle as f32, a.spread as f32, a.seed)?;
                starts
                    .push(("spread".to_owned(), covering.surrogate(&params, surrogate.meta.clone(), &domains, n_out)?));
            }
        }
        // (`load_compnets` of no paths would load the shipped CompNets: none given, none loaded.)
        let others = if a.cpn_also.is_empty() { Vec::new() } else { load_compnets(&a.cpn_also, &device)? };
        for LoadedCompNet { path, net: other, covering: shape } in &others {
            if !shape.covers(n_in, n_out) {
                eprintln!(
                    "warning: --cpn-also {}: its covering shape {:?} does not cover {} ({n_in} → {n_out}); skipped",
                    path.display(),
                    shape.widths(),
                    a.function
                );
                continue;
            }
            let by = compile(other, &source, &signature, surrogate.meta.clone(), &domains, &device)
                .with_context(|| format!("compiling {} with --cpn-also {}", a.function, path.display()))?;
            starts.push((format!("compiled by {}", path.display()), by.surrogate));
            if a.recycle > 0.0 {
                starts.push((format!("recycled from {}", path.display()), recycled(shape, by.stretched)?));
            }
        }
        let mut best: Option<(String, FitResult)> = None;
        for (name, start) in starts {
            let bar = ProgressBar::new(config.epochs as u64);
            let r = fit_from(&pairs, Some(&start), start.meta.clone(), domains.clone(), &config, &device, &bar)?;
            bar.finish_and_clear();
            validation.push((name.clone(), r.best_val_mse));
            if best.as_ref().is_none_or(|(_, b)| r.best_val_mse < b.best_val_mse) {
                best = Some((name, r));
            }
        }
        let (start, r) = best.expect("the compiled start is always finetuned");
        surrogate = r.surrogate;
        finetuned =
            Some((mse(&surrogate.eval_batch(test.inputs())?, test.outputs()), t.elapsed().as_secs_f64(), start));
    }
    surrogate.meta.export_error = finetuned.as_ref().map_or(compiled_mse, |f| f.0) as f32;
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
        best_constant_test_mse: constant,
        finetune_pairs: a.finetune,
        finetuned_test_mse: finetuned.as_ref().map(|f| f.0),
        finetune_seconds: finetuned.as_ref().map(|f| f.1),
        finetune_start: finetuned.as_ref().map(|f| f.2.clone()),
        finetune_validation: validation,
        onnx: onnx_path.display().to_string(),
        blob: blob_path.display().to_string(),
    };
    artifacts::write_json(&a.out.join(format!("{stem}.report.json")), &report)?;
    println!("function     {} — {}", a.function, report.signature);
    println!("surrogate    {:?} from {} ({} tokens)", report.topology, ckpt.display(), compiled.tokens);
    println!("compile      {compile_ms:.1} ms text → ONNX (+ {load_ms:.1} ms loading the checkpoint)");
    println!(
        "test MSE     {compiled_mse:.4e} compiled, {random_mse:.4e} random init ({:.1}× better), {constant:.4e} the \
         outputs' mean (the best constant) on {} fresh inputs",
        random_mse / compiled_mse,
        test.len()
    );
    if let Some((f, secs, start)) = finetuned {
        println!(
            "finetuned    {f:.4e} after {} epochs on {} pairs ({secs:.1} s; from the {start} start)",
            a.epochs, a.finetune
        );
        if report.finetune_validation.len() > 1 {
            let each: Vec<String> =
                report.finetune_validation.iter().map(|(name, v)| format!("{name} {v:.4e}")).collect();
            println!("validation   {} (lowest kept)", each.join(", "));
        }
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
