//! What a build counted at every stage, with reasons: `stats.json`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::corpus::PackageFailure;
use super::pipeline::BuildConfig;

/// Counts of every stage, with reasons: `stats.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BuildStats {
    /// The settings.
    pub config: Option<BuildConfig>,
    /// C files listed.
    pub files: usize,
    /// Files processed.
    pub files_ok: usize,
    /// Files dropped, by reason.
    pub files_dropped: BTreeMap<String, usize>,
    /// Processed files with text outside function bodies that tree-sitter could not read (see
    /// [`Extraction::syntax_errors`](super::extract::Extraction::syntax_errors)).
    pub files_with_syntax_errors: usize,
    /// Processed files the preprocessor reported non-fatal errors for, read despite them
    /// ([`BuildConfig::tolerate_preprocessor_errors`]).
    pub files_with_tolerated_preprocessor_errors: usize,
    /// Headers a file included that the machine lacks, stood in for by empty files (per
    /// package; `work/stubs/`).
    pub header_stand_ins: usize,
    /// Function definitions seen in processed files.
    pub functions_seen: usize,
    /// Functions dropped by the type filter, by reason.
    pub type_filter_dropped: BTreeMap<String, usize>,
    /// Functions that passed the type filter.
    pub candidates: usize,
    /// Dropped for exceeding the token limit (or failing to lex).
    pub too_many_tokens: usize,
    /// Dropped as duplicates of an earlier candidate.
    pub duplicates: usize,
    /// Dropped because their token sequence is one of the ParrotBench programs'.
    pub parrotbench_matches: usize,
    /// Candidates sent to the harness.
    pub selected: usize,
    /// Dropped by the harness, by reason.
    pub harness_dropped: BTreeMap<String, usize>,
    /// Functions the harness kept whose outputs are one constant over all inputs, dropped
    /// ([`BuildConfig::drop_constant`]).
    pub constant_output: usize,
    /// Functions kept.
    pub kept: usize,
    /// Of the kept functions, those whose signature passes the paper's filter (with the extended
    /// filter, the paper-filter dataset is exactly this subset: same candidates, same outcomes).
    pub kept_paper_signature: usize,
    /// Of the kept functions, those with no `float`/`double` anywhere in their signature
    /// (the extended filter's integer-only programs, [`Signature::has_floating`]).
    ///
    /// [`Signature::has_floating`]: crate::signature::Signature::has_floating
    pub kept_integer_only: usize,
    /// Kept programs in the training split.
    pub train_programs: usize,
    /// Kept programs in the test split.
    pub test_programs: usize,
    /// ParrotBench programs found in the final training split by token sequence (must be 0).
    pub parrotbench_in_train: usize,
    /// Per package: files, candidates, kept.
    pub packages: BTreeMap<String, PackageStats>,
    /// Packages that could not be fetched.
    pub package_failures: Vec<PackageFailure>,
    /// Wall time of this invocation (a resumed build counts only its own part).
    pub wall_seconds: f64,
    /// Selected functions run through the harness per second of harness stage, this invocation.
    pub functions_per_second: f64,
}

/// Per-package counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PackageStats {
    /// C files.
    pub files: usize,
    /// Functions that passed the type filter.
    pub candidates: usize,
    /// Functions the harness kept whose outputs are one constant over all inputs, dropped
    /// ([`BuildConfig::drop_constant`]).
    pub constant_output: usize,
    /// Functions kept.
    pub kept: usize,
}
