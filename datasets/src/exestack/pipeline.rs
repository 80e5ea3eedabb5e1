//! The ExeStack build, stage by stage (PAPER.md): C files → preprocessed, parsed, type-filtered
//! candidate functions → at most `max_tokens` tokens → deduplicated by whitespace-invariant token
//! sequence → ParrotBench functions removed → run in the harness on `pairs` seeded inputs,
//! `runs` times (nondeterminism, crashes, hangs, NaN and |y| ≥ `max_abs_output` dropped) →
//! programs split 80:20 into train/test, each with half its pairs for training and half for test.
//!
//! Every file's and every function's outcome goes to a journal under `OUT/work/` as soon as it is
//! known (the outputs of kept functions to `OUT/work/io/`), so a killed build, run again with the
//! same corpus and settings, skips what is done and ends with the same dataset as an uninterrupted
//! build: every stage is deterministic (sorted inputs, seeded sampling, keyed hashing).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::corpus::{CorpusFile, PackageFailure};
use super::preprocess::PREPROCESSOR_ERROR;
pub use super::stats::{BuildStats, PackageStats};
use super::workers::parallel;
use super::{Extraction, FileError, PreprocessError, Preprocessor, TYPE_FILTER_REVISION, TypeFilter, process_file};
use crate::c_tokens::{self, fnv1a};
use crate::harness::{Harness, HarnessConfig, Limits};
use crate::journal::{self, Journal};
use crate::signature::{ParamRole, Scalar, Signature};
use crate::store::{self, ProgramRecord};
use crate::{IoPairs, parrot};

/// Settings of a build. The defaults are the paper's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildConfig {
    /// Which signatures pass the type filter.
    pub filter: TypeFilter,
    /// Input sets per function (half for training, half for test).
    pub pairs: usize,
    /// Seed of the input sampling and of the program split.
    pub seed: u64,
    /// Longest candidate kept, in C tokens.
    pub max_tokens: usize,
    /// Drop a function with any `|output| ≥` this.
    pub max_abs_output: f64,
    /// Runs on the same inputs; any difference drops the function.
    pub runs: usize,
    /// Preprocessing and extraction time per file; slower files are dropped.
    pub file_time_limit: Duration,
    /// Share of programs in the training split.
    pub train_fraction: f64,
    /// Integer parameters (extended filter) get uniform integers in this range.
    pub int_range: (i32, i32),
    /// Wall time of one harness run of a function (all its inputs), in seconds.
    pub run_wall_seconds: f64,
    /// CPU time of one harness run, in seconds.
    pub run_cpu_seconds: f64,
    /// Worker threads (default: available cores).
    pub threads: usize,
    /// With the paper's filter, skip files whose text names no floating-point type before
    /// preprocessing them ([`prefilter`](super::prefilter)); the extended filter admits
    /// integer-only functions, so it reads every file.
    pub prefilter: bool,
    /// Accept a file the preprocessor reported only non-fatal errors for (`#error` of an
    /// unconfigured source tree; [`Preprocessor::tolerate_errors`]); default false: the paper
    /// stops on the first failure.
    #[serde(default)]
    pub tolerate_preprocessor_errors: bool,
    /// Drop a function whose outputs are the same over all its inputs (the harness kept it: it
    /// runs, but there is nothing to learn from it); default true. The paper keeps them.
    #[serde(default)]
    pub drop_constant: bool,
    /// Compute outputs with the C interpreter ([`crate::c_eval`]) instead of compiling and running
    /// each function in the sandbox: for the synthetic generator's programs, whose C it covers
    /// (false in builds recorded before it existed).
    #[serde(default)]
    pub interpret: bool,
}

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig {
            filter: TypeFilter::Paper,
            pairs: 2048,
            seed: 0,
            max_tokens: 512,
            max_abs_output: 10.0,
            runs: 5,
            file_time_limit: Duration::from_secs(8),
            train_fraction: 0.8,
            int_range: (-16, 16),
            run_wall_seconds: 5.0,
            run_cpu_seconds: 2.0,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            prefilter: true,
            tolerate_preprocessor_errors: false,
            drop_constant: true,
            interpret: false,
        }
    }
}

/// A function that survived extraction (as journaled per file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateRecord {
    /// Function name.
    pub function: String,
    /// Standalone C source (the function and what it needs).
    pub source: String,
    /// Its C declaration.
    pub signature: String,
}

/// One line of `work/files.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    /// [`CorpusFile::id`].
    pub file: String,
    /// Its package.
    pub package: String,
    /// `None` when the file was processed; else why it was dropped (`preprocess`, `parse`, `timeout`, `io`).
    pub failure: Option<String>,
    /// The failure's message.
    pub message: Option<String>,
    /// Function definitions found.
    pub functions_seen: usize,
    /// Unreadable places outside function bodies (absent in journals written before it existed).
    #[serde(default)]
    pub syntax_errors: usize,
    /// Functions dropped by the type filter (or as unusable), with the reason.
    pub rejected: Vec<(String, String)>,
    /// Functions kept.
    pub candidates: Vec<CandidateRecord>,
    /// The [`TYPE_FILTER_REVISION`] the file was read under (0 in journals written before it
    /// existed).
    #[serde(default)]
    pub filter_revision: u32,
    /// Whether it was read with [`BuildConfig::tolerate_preprocessor_errors`] (false in journals
    /// written before it existed).
    #[serde(default)]
    pub tolerant_preprocessor: bool,
    /// The preprocessor's errors this file was read despite (`None` when it preprocessed cleanly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocessor_errors: Option<String>,
}

impl FileRecord {
    /// Whether a resumed build run with `config` must read the file again:
    /// - the extended filter has admitted more since the file was read, and the file had
    ///   functions that filter rejected, or was skipped by the prefilter, which the extended
    ///   filter no longer runs (since revision 2); a file read whole without a type-filter
    ///   rejection cannot gain a candidate;
    /// - or the build now tolerates preprocessor errors and the file failed on one when it did
    ///   not, or the other way round: it no longer does, and the file was read despite one.
    pub fn is_stale(&self, config: &BuildConfig) -> bool {
        let failure = self.failure.as_deref();
        let tolerate = config.tolerate_preprocessor_errors;
        if (tolerate && !self.tolerant_preprocessor && failure == Some(PREPROCESSOR_ERROR))
            || (!tolerate && self.preprocessor_errors.is_some())
        {
            return true;
        }
        if config.filter != TypeFilter::Extended || self.filter_revision >= TYPE_FILTER_REVISION {
            return false;
        }
        match failure {
            None => self.rejected.iter().any(|(_, reason)| reason == "type_filter"),
            Some(failure) => failure == NO_FLOATING_TYPE,
        }
    }
}

/// One line of `work/functions.jsonl`: what the harness made of a selected candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionRecord {
    /// [`Program::id`].
    pub id: String,
    /// `None` when kept; else the harness's rejection reason.
    pub rejection: Option<String>,
    /// The rejection's message.
    pub message: Option<String>,
}

/// A selected candidate on its way through the harness.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Stable identifier: 16 hex digits of the hash of the dedup key.
    pub id: String,
    /// `file_id:function`.
    pub name: String,
    /// Its package.
    pub package: String,
    /// Function name.
    pub function: String,
    /// Standalone C source.
    pub source: String,
    /// Parsed signature.
    pub signature: Signature,
}

/// Why a build stopped (a dropped file or function never stops it).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A journal, an output file or the work folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The Parquet output could not be written.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io { path: path.to_path_buf(), source }
}

fn bar(len: usize, what: &str, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len as u64);
    let style =
        ProgressStyle::with_template(&format!("{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {what} {{msg}}"))
            .expect("valid template")
            .progress_chars("=> ");
    b.set_style(style);
    b
}

/// The types of the function's inputs (by-value parameters), in order.
fn input_types(signature: &Signature) -> impl Iterator<Item = Scalar> + '_ {
    signature.params.iter().filter(|p| p.role == ParamRole::Input).map(|p| p.ty)
}

/// The integers an integer parameter of type `ty` is sampled from: the configured range, cut at 0
/// for an unsigned type; `None` for a floating-point type.
fn integer_range(ty: Scalar, config: &BuildConfig) -> Option<(i32, i32)> {
    let (lo, hi) = config.int_range;
    match ty {
        Scalar::Float | Scalar::Double => None,
        Scalar::Int | Scalar::Long => Some((lo, hi)),
        Scalar::UInt | Scalar::ULong => Some((lo.max(0), hi.max(0))),
    }
}

/// Input domain per parameter: `[-1, 1]` for floating-point inputs, the sampled integers (`integer_range`) for integers.
pub fn input_domain(signature: &Signature, config: &BuildConfig) -> Vec<(f32, f32)> {
    input_types(signature)
        .map(|ty| integer_range(ty, config).map_or((-1.0, 1.0), |(lo, hi)| (lo as f32, hi as f32)))
        .collect()
}

/// The `pairs × n_in` inputs of a program: seeded by the build seed and the program id, so they
/// are the same in every build and can be recomputed instead of stored.
pub fn sample_inputs(program_id: &str, signature: &Signature, config: &BuildConfig) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ fnv1a(program_id.as_bytes()));
    let types: Vec<Scalar> = input_types(signature).collect();
    let mut xs = Vec::with_capacity(config.pairs * types.len());
    for _ in 0..config.pairs {
        for ty in &types {
            xs.push(match integer_range(*ty, config) {
                Some((lo, hi)) => rng.random_range(lo..=hi) as f32,
                None => rng.random_range(-1.0f32..1.0),
            });
        }
    }
    xs
}

/// Whether a program goes to the training split (by its id and the seed, so the split of a
/// program never depends on which other programs were kept).
pub fn in_train_split(program_id: &str, config: &BuildConfig) -> bool {
    let h = fnv1a(format!("{}:{program_id}", config.seed).as_bytes());
    ((h >> 11) as f64 / (1u64 << 53) as f64) < config.train_fraction
}

/// Paths of a build's outputs.
#[derive(Debug, Clone)]
pub struct BuildPaths {
    /// `OUT/train.parquet`: programs of the training split.
    pub train: PathBuf,
    /// `OUT/test.parquet`: held-out programs.
    pub test: PathBuf,
    /// `OUT/stats.json`.
    pub stats: PathBuf,
    /// `OUT/work/`: journals and kept outputs.
    pub work: PathBuf,
}

impl BuildPaths {
    /// The layout under `out`.
    pub fn new(out: &Path) -> Self {
        BuildPaths {
            train: out.join("train.parquet"),
            test: out.join("test.parquet"),
            stats: out.join("stats.json"),
            work: out.join("work"),
        }
    }
}

/// Builds ExeStack from `files` into `out` (resuming from `out/work/` when it exists).
pub fn build(
    files: &[CorpusFile],
    package_failures: Vec<PackageFailure>,
    out: &Path,
    config: &BuildConfig,
    quiet: bool,
) -> Result<BuildStats, BuildError> {
    let start = Instant::now();
    let paths = BuildPaths::new(out);
    std::fs::create_dir_all(&paths.work).map_err(io_err(&paths.work))?;
    let mut stats =
        BuildStats { config: Some(config.clone()), files: files.len(), package_failures, ..BuildStats::default() };

    // Stage 1: preprocess, parse, type filter — per file, journaled.
    let files_journal = paths.work.join("files.jsonl");
    let mut done: HashMap<String, FileRecord> = journal::read::<FileRecord>(&files_journal)
        .map_err(io_err(&files_journal))?
        .into_iter()
        .map(|r| (r.file.clone(), r))
        .collect();
    // A file read again gets a newer record, which supersedes the older one (the last line of a
    // file wins when the journal is read).
    let todo: Vec<&CorpusFile> = files.iter().filter(|f| done.get(&f.id).is_none_or(|r| r.is_stale(config))).collect();
    let stale = todo.iter().filter(|f| done.contains_key(&f.id)).count();
    if stale > 0 && !quiet {
        eprintln!(
            "reading again {stale} journaled files that an older type filter rejected functions of or skipped \
             (it admits more since revision {TYPE_FILTER_REVISION}), or that failed on preprocessor errors \
             this build tolerates"
        );
    }
    let stubs = paths.work.join("stubs");
    let progress = bar(todo.len(), "files", quiet);
    let mut j = Journal::open(&files_journal).map_err(io_err(&files_journal))?;
    parallel(
        &todo,
        config.threads,
        |f| file_record(f, config, &stubs),
        |_, record| -> Result<(), BuildError> {
            j.append(&record).map_err(io_err(&files_journal))?;
            progress.inc(1);
            done.insert(record.file.clone(), record);
            Ok(())
        },
    )?;
    progress.finish_and_clear();

    stats.header_stand_ins = count_files(&stubs);

    // Stage 2: tokens, dedup, ParrotBench — over all candidates in a fixed order.
    let mut selected = Vec::new();
    for f in files {
        let Some(record) = done.get(&f.id) else { continue };
        let pkg = stats.packages.entry(f.package.clone()).or_default();
        pkg.files += 1;
        pkg.candidates += record.candidates.len();
        match &record.failure {
            Some(reason) => *stats.files_dropped.entry(reason.clone()).or_default() += 1,
            None => stats.files_ok += 1,
        }
        stats.functions_seen += record.functions_seen;
        stats.files_with_syntax_errors += usize::from(record.syntax_errors > 0);
        stats.files_with_tolerated_preprocessor_errors += usize::from(record.preprocessor_errors.is_some());
        for (_, reason) in &record.rejected {
            *stats.type_filter_dropped.entry(reason.clone()).or_default() += 1;
        }
        selected.extend(record.candidates.iter().map(|c| (f.package.as_str(), f.id.as_str(), c)));
    }
    let programs = select(selected, config, &mut stats);
    finish(&programs, &paths, config, quiet, stats, start)
}

/// Stage 2: the token limit, ParrotBench exclusion and deduplication (the first of equal token
/// sequences in the given order is kept), over `(package, file id, candidate)` in a fixed order.
pub fn select<'a>(
    candidates: impl IntoIterator<Item = (&'a str, &'a str, &'a CandidateRecord)>,
    config: &BuildConfig,
    stats: &mut BuildStats,
) -> Vec<Program> {
    let parrot_keys = parrot_keys();
    let mut seen_keys = HashSet::new();
    let mut programs = Vec::new();
    for (package, file, c) in candidates {
        stats.candidates += 1;
        let tokens = match c_tokens::tokenize(&c.source) {
            Ok(t) if t.len() <= config.max_tokens => t,
            _ => {
                stats.too_many_tokens += 1;
                continue;
            }
        };
        let key = tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
        if parrot_keys.contains(&key) {
            stats.parrotbench_matches += 1;
            continue;
        }
        if !seen_keys.insert(key.clone()) {
            stats.duplicates += 1;
            continue;
        }
        let Ok(signature) = Signature::from_source(&c.source, &c.function) else {
            *stats.type_filter_dropped.entry("signature".into()).or_default() += 1;
            continue;
        };
        programs.push(Program {
            id: format!("{:016x}", fnv1a(key.as_bytes())),
            name: format!("{file}:{}", c.function),
            package: package.to_owned(),
            function: c.function.clone(),
            source: c.source.clone(),
            signature,
        });
    }
    stats.selected = programs.len();
    programs
}

/// Stages 3 and 4 for programs from any source (a corpus, the synthetic generator): the harness,
/// the splits, the Parquet files and `stats.json`.
pub fn finish(
    programs: &[Program],
    paths: &BuildPaths,
    config: &BuildConfig,
    quiet: bool,
    mut stats: BuildStats,
    start: Instant,
) -> Result<BuildStats, BuildError> {
    let io_dir = paths.work.join("io");
    std::fs::create_dir_all(&io_dir).map_err(io_err(&io_dir))?;
    let parrot_keys = parrot_keys();
    let harness_start = Instant::now();
    let (kept, harness_runs) = run_harness(programs, &paths.work, config, quiet, &mut stats)?;
    let harness_seconds = harness_start.elapsed().as_secs_f64();

    let mut train = Vec::new();
    let mut test = Vec::new();
    let mut kept_programs = Vec::new();
    let half = config.pairs / 2;
    for p in programs.iter().filter(|p| kept.contains(&p.id)) {
        let inputs = sample_inputs(&p.id, &p.signature, config);
        let out_path = io_dir.join(format!("{}.f32", p.id));
        let bytes = std::fs::read(&out_path).map_err(io_err(&out_path))?;
        let outputs: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let pairs =
            IoPairs::new(p.signature.n_in(), p.signature.n_out(), inputs, outputs).map_err(|e| BuildError::Io {
                path: out_path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            })?;
        let package = stats.packages.entry(p.package.clone()).or_default();
        if config.drop_constant && is_constant(&pairs) {
            package.constant_output += 1;
            stats.constant_output += 1;
            continue;
        }
        package.kept += 1;
        kept_programs.push(p);
        let domain = input_domain(&p.signature, config);
        let record = |split: &str, range: std::ops::Range<usize>| ProgramRecord {
            name: p.name.clone(),
            function: p.function.clone(),
            source: p.source.clone(),
            signature: p.signature.to_string(),
            domain: domain.clone(),
            split: split.into(),
            pairs: pairs.select(&range.collect::<Vec<_>>()),
        };
        let target = if in_train_split(&p.id, config) { &mut train } else { &mut test };
        target.push(record("train", 0..half));
        target.push(record("test", half..pairs.len()));
    }
    stats.kept = kept_programs.len();
    stats.kept_paper_signature = kept_programs.iter().filter(|p| TypeFilter::Paper.admits(&p.signature)).count();
    stats.kept_integer_only = kept_programs.iter().filter(|p| !p.signature.has_floating()).count();
    stats.train_programs = train.len() / 2;
    stats.test_programs = test.len() / 2;
    // An independent check of the exclusion: re-tokenise the final training sources.
    stats.parrotbench_in_train = train
        .iter()
        .filter(|r| r.split == "train")
        .filter(|r| c_tokens::dedup_key(&r.source).is_ok_and(|k| parrot_keys.contains(&k)))
        .count();
    store::write_records(&paths.train, &train)?;
    store::write_records(&paths.test, &test)?;
    stats.wall_seconds = start.elapsed().as_secs_f64();
    stats.functions_per_second = if harness_seconds > 0.0 { harness_runs as f64 / harness_seconds } else { 0.0 };
    let json = serde_json::to_string_pretty(&stats).expect("stats serialise");
    let tmp = paths.stats.with_extension("json.tmp");
    std::fs::write(&tmp, json).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &paths.stats).map_err(io_err(&paths.stats))?;
    Ok(stats)
}

/// Whether every output row of `pairs` equals the first (as numbers: `-0.0` equals `0.0`):
/// a function that computes one constant over all its inputs.
fn is_constant(pairs: &IoPairs) -> bool {
    !pairs.is_empty() && (1..pairs.len()).all(|i| pairs.output(i) == pairs.output(0))
}

/// The whitespace-invariant token sequences of the six ParrotBench programs and of their
/// single-output splits.
fn parrot_keys() -> HashSet<String> {
    let sources = parrot::programs().iter().map(|p| p.source).chain(parrot::splits().iter().map(|s| s.source));
    sources.filter_map(|s| c_tokens::dedup_key(s).ok()).collect()
}

/// Stage 1 for one file.
fn file_record(f: &CorpusFile, config: &BuildConfig, stubs: &Path) -> FileRecord {
    let mut record = FileRecord {
        file: f.id.clone(),
        package: f.package.clone(),
        failure: None,
        message: None,
        functions_seen: 0,
        syntax_errors: 0,
        rejected: Vec::new(),
        candidates: Vec::new(),
        filter_revision: TYPE_FILTER_REVISION,
        tolerant_preprocessor: config.tolerate_preprocessor_errors,
        preprocessor_errors: None,
    };
    if config.prefilter && config.filter == TypeFilter::Paper && !may_define_floating(f) {
        record.failure = Some(NO_FLOATING_TYPE.into());
        record.message = Some(format!(
            "{}: names no floating-point type (nor a float/double typedef or macro of its package); not preprocessed",
            f.id
        ));
        return record;
    }
    let mut include_dirs = f.include_dirs.clone();
    include_dirs.push(stubs.join(&f.package));
    let mut result = extract_guarded(f, &include_dirs, config);
    // A header the machine lacks (one a configure step writes, `ngspice/config.h`; a library's
    // that is not installed, `glib.h`) is stood in for by an empty file, one at a time. What
    // the file then still preprocesses and parses is kept only as far as the extracted function
    // compiles on its own in the harness; a file that still fails keeps its last reason.
    for _ in 0..MAX_HEADER_STUBS {
        let Some(Err(FileError::Preprocess(PreprocessError::MissingHeader { header, .. }))) = &result else { break };
        if !stub_header(&stubs.join(&f.package), header) {
            break;
        }
        result = extract_guarded(f, &include_dirs, config);
    }
    match result {
        Some(Ok(x)) => {
            record.functions_seen = x.functions_seen;
            record.syntax_errors = x.syntax_errors;
            record.preprocessor_errors = x.preprocessor_errors;
            record.rejected = x.rejected.into_iter().map(|(f, r)| (f, r.to_string())).collect();
            record.candidates = x
                .candidates
                .into_iter()
                .map(|c| CandidateRecord { function: c.function, signature: c.signature.to_string(), source: c.source })
                .collect();
        }
        Some(Err(e)) => {
            record.failure = Some(e.reason().to_owned());
            record.message = Some(e.to_string());
        }
        None => {
            record.failure = Some("panic".into());
            record.message = Some(format!("{}: the extractor panicked", f.id));
        }
    }
    record
}

/// The [prefilter](super::prefilter) on a file's raw text; a file that cannot be read passes (the
/// preprocessor then reports why).
fn may_define_floating(f: &CorpusFile) -> bool {
    let Ok(bytes) = std::fs::read(&f.path) else { return true };
    super::prefilter::FloatingNames::of_package(&f.root).may_define_floating(&String::from_utf8_lossy(&bytes))
}

/// Files under `dir`, recursively (0 if it does not exist).
fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries.flatten().map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 }).sum()
    })
}

/// Missing headers stood in for per file, at most.
const MAX_HEADER_STUBS: usize = 8;

/// The journaled failure of a file the [prefilter](super::prefilter) skipped.
const NO_FLOATING_TYPE: &str = "no_floating_type";

/// [`process_file`], with a panic in the parser costing this file only (`None`).
fn extract_guarded(
    f: &CorpusFile,
    include_dirs: &[PathBuf],
    config: &BuildConfig,
) -> Option<Result<Extraction, FileError>> {
    let pre = Preprocessor {
        time_limit: config.file_time_limit,
        tolerate_errors: config.tolerate_preprocessor_errors,
        ..Preprocessor::with_include_dirs(include_dirs)
    };
    let run = std::panic::AssertUnwindSafe(|| process_file(&f.path, &pre, config.filter));
    std::panic::catch_unwind(run).ok()
}

/// Writes an empty stand-in for the missing `header` under `dir` when it is a plain relative
/// path (no `..`, not absolute) to a `.h` file that is not one of the system's own
/// ([`SYSTEM_HEADERS`](super::preprocess::SYSTEM_HEADERS)); false otherwise.
pub fn stub_header(dir: &Path, header: &str) -> bool {
    let rel = Path::new(header);
    let plain = rel.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    let system = super::preprocess::SYSTEM_HEADERS.contains(&header);
    if !plain || system || !header.ends_with(".h") {
        return false;
    }
    let path = dir.join(rel);
    // Another worker may have just written it: then it is there for this retry too.
    path.exists()
        || path.parent().is_some_and(|p| std::fs::create_dir_all(p).is_ok())
            && std::fs::write(&path, "/* compnet ExeStack: empty stand-in for a header this machine lacks */\n").is_ok()
}

/// Stage 3: runs every program not yet journaled (in the sandboxed harness, or with
/// [`BuildConfig::interpret`] in the C interpreter); returns the ids kept (journaled before or
/// now) and how many ran in this invocation.
fn run_harness(
    programs: &[Program],
    work: &Path,
    config: &BuildConfig,
    quiet: bool,
    stats: &mut BuildStats,
) -> Result<(HashSet<String>, usize), BuildError> {
    let path = work.join("functions.jsonl");
    let ids: HashSet<&str> = programs.iter().map(|p| p.id.as_str()).collect();
    let mut decided: HashMap<String, FunctionRecord> = journal::read::<FunctionRecord>(&path)
        .map_err(io_err(&path))?
        .into_iter()
        .filter(|r| ids.contains(r.id.as_str()))
        .map(|r| (r.id.clone(), r))
        .collect();
    let todo: Vec<&Program> = programs.iter().filter(|p| !decided.contains_key(&p.id)).collect();
    let limits = Limits {
        wall: Duration::from_secs_f64(config.run_wall_seconds),
        cpu: Duration::from_secs_f64(config.run_cpu_seconds),
        ..Limits::default()
    };
    let harness = Harness::new(HarnessConfig {
        runs: config.runs,
        max_abs_output: Some(config.max_abs_output),
        limits,
        ..HarnessConfig::default()
    });
    let progress = bar(todo.len(), "functions", quiet);
    let mut j = Journal::open(&path).map_err(io_err(&path))?;
    let io_dir = work.join("io");
    let mut kept_now = 0usize;
    parallel(
        &todo,
        config.threads,
        |p| {
            let inputs = sample_inputs(&p.id, &p.signature, config);
            if config.interpret {
                return crate::c_eval::evaluate(&p.source, &p.signature, &inputs, config.max_abs_output);
            }
            let run = std::panic::AssertUnwindSafe(|| harness.evaluate(&p.source, &p.signature, &inputs));
            std::panic::catch_unwind(run)
                .map_err(|_| ("internal".to_owned(), "the harness panicked".to_owned()))?
                .map_err(|r| (r.reason().to_owned(), r.to_string()))
        },
        |i, result| -> Result<(), BuildError> {
            let p = todo[i];
            let record = match result {
                Ok(pairs) => {
                    // Outputs first, atomically; then the journal line that says they exist.
                    let bytes: Vec<u8> = pairs.outputs().iter().flat_map(|v| v.to_le_bytes()).collect();
                    let file = io_dir.join(format!("{}.f32", p.id));
                    let tmp = io_dir.join(format!("{}.f32.tmp", p.id));
                    std::fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
                    std::fs::rename(&tmp, &file).map_err(io_err(&file))?;
                    kept_now += 1;
                    FunctionRecord { id: p.id.clone(), rejection: None, message: None }
                }
                Err((reason, message)) => {
                    FunctionRecord { id: p.id.clone(), rejection: Some(reason), message: Some(message) }
                }
            };
            j.append(&record).map_err(io_err(&path))?;
            progress.set_message(format!("{kept_now} kept"));
            progress.inc(1);
            decided.insert(record.id.clone(), record);
            Ok(())
        },
    )?;
    progress.finish_and_clear();
    let mut kept = HashSet::new();
    for r in decided.values() {
        match &r.rejection {
            None => {
                kept.insert(r.id.clone());
            }
            Some(reason) => *stats.harness_dropped.entry(reason.clone()).or_default() += 1,
        }
    }
    Ok((kept, todo.len()))
}
