//! `compnet dataset exestack` and `compnet dataset synthetic`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use compnet_datasets::exestack::corpus::{self, DEFAULT_PACKAGES};
use compnet_datasets::exestack::pipeline::{BuildConfig, BuildStats, build};
use compnet_datasets::exestack::{TypeFilter, generated};
use compnet_datasets::synthetic::{Family, KernelKind, SyntheticConfig};

/// The type filter, as a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Filter {
    /// float/double parameters and a float/double return, as the paper.
    Paper,
    /// Also int/long/unsigned scalars, out-pointers to any scalar and void or integer returns,
    /// integer-only functions included (counted apart).
    Extended,
}

impl Filter {
    /// The dataset crate's filter of this name.
    fn type_filter(self) -> TypeFilter {
        match self {
            Filter::Paper => TypeFilter::Paper,
            Filter::Extended => TypeFilter::Extended,
        }
    }
}

/// Settings shared by both builds.
#[derive(Debug, Args)]
pub(super) struct BuildArgs {
    /// Input sets per function (half for training, half for test).
    #[arg(long, default_value_t = 2048)]
    pairs: usize,
    /// Seed of the input sampling and the program split.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
pub(super) struct ExestackArgs {
    /// A folder of C files (each first-level subfolder counts as a package). Without it, Debian
    /// source packages are fetched.
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Debian source packages, comma-separated (default: a list of numeric C packages).
    #[arg(long, value_delimiter = ',', conflicts_with = "corpus")]
    packages: Option<Vec<String>>,
    /// Debian source packages, one per line, in corpus order (`#` starts a comment): a list too
    /// long for the command line, such as the packages a section-wide build processed.
    #[arg(long, conflicts_with_all = ["corpus", "packages"])]
    packages_file: Option<PathBuf>,
    /// Also every Debian source package with a binary package in these archive sections
    /// (e.g. `math,science,sound`; `numeric` names the ten that hold numeric C code: math,
    /// science, sound, graphics, video, electronics, hamradio, gnu-r, libs, games), after the
    /// list above; packages of other languages and upstream tarballs over `--max-package-mb` are
    /// skipped.
    #[arg(long, value_delimiter = ',', conflicts_with = "corpus")]
    sections: Option<Vec<String>>,
    /// Largest upstream tarball `--sections` takes, in MB.
    #[arg(long, default_value_t = 40)]
    max_package_mb: u64,
    /// Package downloads at a time.
    #[arg(long, default_value_t = 6)]
    fetch_jobs: usize,
    /// Where Debian sources and the private apt state are kept.
    #[arg(long, default_value = ".cache/exestack")]
    cache: PathBuf,
    /// Output folder: train.parquet, test.parquet, stats.json, work/ (journals; resumable).
    #[arg(long, default_value = "data/exestack")]
    out: PathBuf,
    /// Type filter.
    #[arg(long, value_enum, default_value = "paper")]
    filter: Filter,
    /// Longest function kept, in C tokens.
    #[arg(long, default_value_t = 512)]
    max_tokens: usize,
    /// With --filter paper, preprocess every file, also those whose text names no floating-point
    /// type (see docs/exestack.md, "Prefilter"; --filter extended always reads every file).
    #[arg(long)]
    no_prefilter: bool,
    /// Read a file despite non-fatal preprocessor errors (`#error` directives and `#if`
    /// expressions of a source tree no configure step ran in); the paper drops it. A missing
    /// header or a fatal error still drops the file (see docs/exestack.md, "Preprocessor errors").
    #[arg(long)]
    tolerate_preprocessor_errors: bool,
    /// Keep functions whose outputs are one constant over all inputs (the paper keeps them; by
    /// default they are dropped and counted as `constant_output`).
    #[arg(long)]
    keep_constant: bool,
    /// Fetch the packages into --cache and stop (no build): fills the cache ahead of a build that
    /// would otherwise wait on the downloads, e.g. while another build uses the processors.
    #[arg(long, conflicts_with = "corpus")]
    fetch_only: bool,
    /// Seconds of preprocessing and extraction per file before it is dropped.
    #[arg(long, default_value_t = 8.0)]
    file_time_limit: f64,
    #[command(flatten)]
    build: BuildArgs,
}

#[derive(Debug, Args)]
pub(super) struct SyntheticArgs {
    /// Programs to generate.
    #[arg(long, default_value_t = 1000)]
    count: u64,
    /// Output folder, as for `exestack`.
    #[arg(long, default_value = "data/synthetic")]
    out: PathBuf,
    /// Largest number of inputs of a generated function (1 to 9).
    #[arg(long, default_value_t = 9)]
    max_inputs: usize,
    /// Deepest expression tree (1 to 8): 1 gives single operations such as `x0 * x1`.
    #[arg(long, default_value_t = 3)]
    max_depth: usize,
    /// Most statements before the outputs (at least 1).
    #[arg(long, default_value_t = 8)]
    max_statements: usize,
    /// No `for` loops.
    #[arg(long)]
    no_loops: bool,
    /// No `if`/`else` or `?:`.
    #[arg(long)]
    no_branches: bool,
    /// Affine functions only (`return 0.37f * x0 - 1.25f * x1 + 0.5f;`): what they compute is in
    /// their literals. The depth, statement, loop and branch settings are then unused.
    #[arg(long, conflicts_with = "kernels")]
    affine: bool,
    /// Small numeric kernels only (weighted distances, stencil magnitudes, phases, a two-link
    /// arm's angles, polynomials, neurons, blends; `compnet_datasets::synthetic::kernels`): the
    /// kinds of function approximate computing hands to networks. Each kernel picks its own
    /// inputs and type; the shape, depth, loop and branch settings are unused.
    #[arg(long)]
    kernels: bool,
    /// With --kernels: draw these kinds only, comma-separated (distance, stencil, phase,
    /// geometry, polynomial, neuron, blend), in their usual proportions; default all seven.
    #[arg(long, value_delimiter = ',', requires = "kernels")]
    kinds: Vec<KernelKind>,
    /// Compute the outputs with the C interpreter (`compnet_datasets::c_eval`, checked against
    /// the compiled C in its tests) instead of compiling each program: far faster, no C compiler.
    #[arg(long)]
    interpret: bool,
    #[command(flatten)]
    build: BuildArgs,
}

fn config(b: &BuildArgs, filter: TypeFilter) -> anyhow::Result<BuildConfig> {
    anyhow::ensure!(b.pairs >= 2 && b.pairs.is_multiple_of(2), "--pairs {} must be even and at least 2", b.pairs);
    let mut c = BuildConfig { filter, pairs: b.pairs, seed: b.seed, ..BuildConfig::default() };
    if let Some(t) = b.threads {
        anyhow::ensure!(t > 0, "--threads must be positive");
        c.threads = t;
    }
    Ok(c)
}

pub(super) fn exestack_command(a: ExestackArgs) -> anyhow::Result<()> {
    let filter = a.filter.type_filter();
    let mut config = config(&a.build, filter)?;
    config.max_tokens = a.max_tokens;
    config.prefilter = !a.no_prefilter;
    config.tolerate_preprocessor_errors = a.tolerate_preprocessor_errors;
    config.drop_constant = !a.keep_constant;
    anyhow::ensure!(a.file_time_limit > 0.0, "--file-time-limit must be positive");
    config.file_time_limit = Duration::from_secs_f64(a.file_time_limit);
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    let fallback = corpus::fallback_include_dir(&a.out.join("work"))
        .with_context(|| format!("cannot write the fallback include folder under {}", a.out.display()))?;
    let (files, failures) = match &a.corpus {
        Some(dir) => (corpus::folder_files(dir, &fallback)?, Vec::new()),
        None => {
            let listed = match &a.packages_file {
                Some(path) => Some(
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read the package list {}", path.display()))?
                        .lines()
                        .map(|l| l.split('#').next().unwrap_or("").trim().to_owned())
                        .filter(|l| !l.is_empty())
                        .collect::<Vec<_>>(),
                ),
                None => a.packages.clone(),
            };
            let mut packages: Vec<String> =
                listed.unwrap_or_else(|| DEFAULT_PACKAGES.iter().map(|p| p.to_string()).collect());
            anyhow::ensure!(!packages.is_empty(), "the package list is empty");
            if let Some(sections) = &a.sections {
                let query = corpus::SectionQuery {
                    sections: corpus::expand_sections(sections),
                    max_tarball_bytes: a.max_package_mb << 20,
                };
                let sections = &query.sections;
                let more = corpus::packages_in_sections(&a.cache, &query)
                    .with_context(|| format!("listing the packages of sections {}", sections.join(",")))?;
                eprintln!("sections {}: {} source packages", sections.join(","), more.len());
                let listed: std::collections::HashSet<String> = packages.iter().cloned().collect();
                packages.extend(more.into_iter().filter(|p| !listed.contains(p)));
            }
            anyhow::ensure!(a.fetch_jobs > 0, "--fetch-jobs must be positive");
            eprintln!("fetching {} Debian source packages into {}", packages.len(), a.cache.display());
            corpus::debian_files(&packages, &a.cache, &fallback, a.fetch_jobs, |p, r| match r {
                Ok(n) if !a.build.quiet => eprintln!("  {p:<20} {n} C files"),
                Err(e) => eprintln!("  {p:<20} skipped: {e}"),
                _ => {}
            })?
        }
    };
    if files.is_empty() {
        bail!("no C files found in the corpus");
    }
    if a.fetch_only {
        eprintln!("{} C files in {}; --fetch-only: not building", files.len(), a.cache.display());
        return Ok(());
    }
    eprintln!("{} C files; building into {} ({:?} filter)", files.len(), a.out.display(), filter);
    let stats = build(&files, failures, &a.out, &config, a.build.quiet)?;
    print_stats(&stats, &a.out);
    Ok(())
}

pub(super) fn synthetic_command(a: SyntheticArgs) -> anyhow::Result<()> {
    anyhow::ensure!((1..=9).contains(&a.max_inputs), "--max-inputs must be 1 to 9");
    anyhow::ensure!((1..=8).contains(&a.max_depth), "--max-depth must be 1 to 8");
    anyhow::ensure!(a.max_statements > 0, "--max-statements must be positive");
    anyhow::ensure!(a.count > 0, "--count must be positive");
    let config = BuildConfig { interpret: a.interpret, ..config(&a.build, TypeFilter::Extended)? };
    let generator = SyntheticConfig {
        max_inputs: a.max_inputs,
        max_depth: a.max_depth,
        max_statements: a.max_statements,
        loops: !a.no_loops,
        branches: !a.no_branches,
        family: if a.affine {
            Family::Affine
        } else if a.kernels {
            Family::Kernels
        } else {
            Family::Grammar
        },
        kernel_kinds: a.kinds,
        seed: a.build.seed,
        ..SyntheticConfig::default()
    };
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    let stats = generated::build_synthetic(a.count, &generator, &a.out, &config, a.build.quiet)?;
    print_stats(&stats, &a.out);
    Ok(())
}

fn print_stats(s: &BuildStats, out: &std::path::Path) {
    let reasons = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    };
    println!("files          {} ({} processed; dropped: {})", s.files, s.files_ok, reasons(&s.files_dropped));
    println!(
        "               {} with unreadable text outside function bodies; {} missing headers stood in for; \
         {} read despite preprocessor errors",
        s.files_with_syntax_errors, s.header_stand_ins, s.files_with_tolerated_preprocessor_errors
    );
    println!("functions      {} seen; type filter dropped: {}", s.functions_seen, reasons(&s.type_filter_dropped));
    println!(
        "candidates     {} ({} over the token limit, {} duplicates, {} ParrotBench)",
        s.candidates, s.too_many_tokens, s.duplicates, s.parrotbench_matches
    );
    println!(
        "harness        {} run; dropped: {}; then {} with one constant output",
        s.selected,
        reasons(&s.harness_dropped),
        s.constant_output
    );
    println!(
        "kept           {} ({} train / {} test programs; {} with the paper's float/double-only signature, \
         {} integer-only)",
        s.kept, s.train_programs, s.test_programs, s.kept_paper_signature, s.kept_integer_only
    );
    println!("ParrotBench    {} in the training split", s.parrotbench_in_train);
    println!("wall time      {:.1} s ({:.1} functions/s through the harness)", s.wall_seconds, s.functions_per_second);
    println!("written        {}/{{train.parquet, test.parquet, stats.json}}", out.display());
}

/// `compnet dataset split`: moves whole programs between the train and test files of a dataset
/// folder, for a larger held-out set.
#[derive(Debug, Args)]
pub(super) struct SplitArgs {
    /// Dataset folder with `train.parquet` and `test.parquet` (ExeStack or synthetic).
    from: PathBuf,
    /// Programs to hold out in the new `test.parquet`.
    #[arg(long)]
    test_programs: usize,
    /// Seed of the choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder (new `train.parquet`, `test.parquet`, `split.json`).
    #[arg(long)]
    out: PathBuf,
}

pub(super) fn split_command(a: SplitArgs) -> anyhow::Result<()> {
    use compnet_datasets::c_tokens::fnv1a;
    use compnet_datasets::store;
    anyhow::ensure!(a.out != a.from, "--out must differ from the input folder {}", a.from.display());
    let mut records = Vec::new();
    for file in ["train.parquet", "test.parquet"] {
        let path = a.from.join(file);
        records.extend(store::read_records(&path).with_context(|| format!("reading {}", path.display()))?);
    }
    // Programs ordered by a seeded hash of their name: the first `test_programs` are held out.
    let mut names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    anyhow::ensure!(
        a.test_programs < names.len(),
        "--test-programs {} leaves no training programs ({} in {})",
        a.test_programs,
        names.len(),
        a.from.display()
    );
    names.sort_by_key(|n| (fnv1a(format!("{}:{n}", a.seed).as_bytes()), *n));
    let held: std::collections::HashSet<&str> = names[..a.test_programs].iter().copied().collect();
    let (test, train): (Vec<_>, Vec<_>) = records.iter().cloned().partition(|r| held.contains(r.name.as_str()));
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    store::write_records(&a.out.join("train.parquet"), &train)?;
    store::write_records(&a.out.join("test.parquet"), &test)?;
    let summary = serde_json::json!({
        "from": a.from.display().to_string(),
        "seed": a.seed,
        "programs": names.len(),
        "train_programs": names.len() - a.test_programs,
        "test_programs": a.test_programs,
    });
    crate::artifacts::write_json(&a.out.join("split.json"), &summary)?;
    println!(
        "{} programs: {} train / {} test → {}",
        names.len(),
        names.len() - a.test_programs,
        a.test_programs,
        a.out.display()
    );
    Ok(())
}

/// `compnet dataset filter`: the programs of a file whose signature passes a type filter, e.g.
/// the float programs of an extended build as a validation set that resembles ParrotBench.
#[derive(Debug, Args)]
pub(super) struct FilterArgs {
    /// Program file (Parquet).
    from: PathBuf,
    /// The type filter a program's signature must pass (`paper`: float/double parameters by value
    /// and a float/double return).
    #[arg(long, value_enum)]
    types: Filter,
    /// Output file (every row of each program kept, in the input's order).
    #[arg(long)]
    out: PathBuf,
}

pub(super) fn filter_command(a: FilterArgs) -> anyhow::Result<()> {
    use compnet_datasets::signature::Signature;
    use compnet_datasets::store;
    anyhow::ensure!(a.out != a.from, "--out must differ from the input file {}", a.from.display());
    let filter = a.types.type_filter();
    let records = store::read_records(&a.from).with_context(|| format!("reading {}", a.from.display()))?;
    let mut kept = Vec::new();
    for r in records.iter() {
        let signature = Signature::parse(&r.signature).map_err(|e| {
            anyhow::anyhow!("{}: program `{}`: its signature does not parse: {e}", a.from.display(), r.name)
        })?;
        if filter.admits(&signature) {
            kept.push(r.clone());
        }
    }
    let programs = |rows: &[compnet_datasets::store::ProgramRecord]| {
        rows.iter().map(|r| r.name.as_str()).collect::<std::collections::BTreeSet<_>>().len()
    };
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    store::write_records(&a.out, &kept)?;
    println!(
        "{} of {} programs ({} of {} rows) pass --types {} → {}",
        programs(&kept),
        programs(&records),
        kept.len(),
        records.len(),
        a.types.to_possible_value().expect("every filter is a value").get_name(),
        a.out.display()
    );
    Ok(())
}

/// `compnet dataset augment`: copies of a program file's programs whose input parameters are
/// reordered (`compnet_datasets::augment`), to train on beside the file itself
/// (`compnet train --train FROM --train OUT`).
#[derive(Debug, Args)]
pub(super) struct AugmentArgs {
    /// Program file (Parquet, e.g. an ExeStack `train.parquet`).
    from: PathBuf,
    /// Reordered copies per row of a program with two or more inputs (fewer when it has fewer
    /// orders; a program's rows, such as its `train` and `test` pairs, get the same orders).
    #[arg(long, default_value_t = 3)]
    permutations: usize,
    /// Seed of the orders (with the program's name: a program gets the same orders in any file).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file: the copies alone (train on it beside FROM); `OUT.json` gets the counts.
    #[arg(long)]
    out: PathBuf,
    /// Check this many copies (spread over the file) with the C compiler: each is compiled and run
    /// in the harness on its first 64 reordered inputs, and must give the recorded outputs bit for
    /// bit, or nothing is written.
    #[arg(long, default_value_t = 0)]
    verify: usize,
}

pub(super) fn augment_command(a: AugmentArgs) -> anyhow::Result<()> {
    use compnet_datasets::augment::{distinct_orders, permute_inputs};
    use compnet_datasets::c_tokens::fnv1a;
    use compnet_datasets::store;
    anyhow::ensure!(a.out != a.from, "--out must differ from the input file {}", a.from.display());
    let records = store::read_records(&a.from).with_context(|| format!("reading {}", a.from.display()))?;
    let mut copies = Vec::new();
    let mut refused: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut programs = std::collections::BTreeSet::new();
    let mut permuted = std::collections::BTreeSet::new();
    for r in &records {
        programs.insert(r.name.clone());
        let seed = fnv1a(format!("{}:{}", a.seed, r.name).as_bytes());
        for order in distinct_orders(r.pairs.n_in(), a.permutations, seed) {
            match permute_inputs(r, &order) {
                Ok(copy) => {
                    permuted.insert(r.name.clone());
                    copies.push(copy);
                }
                Err(e) => {
                    let Some(reason) = e.refusal() else {
                        return Err(anyhow::Error::new(e).context(format!("in {}", a.from.display())));
                    };
                    *refused.entry(reason).or_default() += 1;
                    break;
                }
            }
        }
    }
    let verified = verify_copies(&copies, a.verify)?;
    let multi: std::collections::BTreeSet<&str> =
        records.iter().filter(|r| r.pairs.n_in() >= 2).map(|r| r.name.as_str()).collect();
    let multi = multi.len();
    let n_copies = copies.len();
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    store::write_records(&a.out, &copies)?;
    let summary = serde_json::json!({
        "from": a.from.display().to_string(),
        "seed": a.seed,
        "permutations": a.permutations,
        "programs": programs.len(),
        "programs_with_two_or_more_inputs": multi,
        "programs_permuted": permuted.len(),
        "rows_refused": refused,
        "copies": n_copies,
        "copies_verified_by_the_c_compiler": verified,
    });
    let json = a.out.with_extension("json");
    crate::artifacts::write_json(&json, &summary)?;
    if verified > 0 {
        println!("{verified} copies compiled and run: every output equal to the recorded one");
    }
    println!(
        "{} programs ({} with two or more inputs): {} permuted, {} copies → {} (counts: {})",
        programs.len(),
        multi,
        permuted.len(),
        n_copies,
        a.out.display(),
        json.display()
    );
    Ok(())
}

/// Runs `count` of `copies` (evenly spread) in the harness on their first 64 inputs; an output
/// that differs from the recorded one is an error naming the copy.
fn verify_copies(copies: &[compnet_datasets::store::ProgramRecord], count: usize) -> anyhow::Result<usize> {
    use compnet_datasets::harness::{Harness, HarnessConfig};
    use compnet_datasets::signature::Signature;
    let count = count.min(copies.len());
    if count == 0 {
        return Ok(0);
    }
    let harness = Harness::new(HarnessConfig { runs: 1, ..HarnessConfig::default() });
    for i in 0..count {
        let copy = &copies[i * copies.len() / count];
        let signature = Signature::parse(&copy.signature)?;
        let pairs = copy.pairs.select(&(0..copy.pairs.len().min(64)).collect::<Vec<_>>());
        let rerun = harness
            .evaluate(&copy.source, &signature, pairs.inputs())
            .map_err(|e| anyhow::anyhow!("copy `{}` does not run: {e}", copy.name))?;
        anyhow::ensure!(
            rerun.outputs() == pairs.outputs(),
            "copy `{}` computes other outputs than its program's on the reordered inputs; its source:\n{}",
            copy.name,
            copy.source
        );
    }
    Ok(count)
}
