//! ExeStack: a dataset of executable C functions built from a real C corpus (PAPER.md, "ExeStack").
//!
//! The front half, from one C file to standalone candidate functions:
//!
//! * [`prefilter`]: files that name no floating-point type are skipped before preprocessing.
//! * [`preprocess`]: the system C preprocessor, at most two passes, under a wall-time limit.
//! * [`extract`]: tree-sitter-c over the preprocessed text; every function definition whose
//!   signature passes the [`TypeFilter`] becomes a [`Candidate`] carrying exactly the items it
//!   needs from its translation unit.
//! * [`process_file`]: both, under one per-file time limit, for worker threads.
//!
//! The back half, from candidates to the dataset:
//!
//! * [`corpus`]: the C files: a folder, or Debian source packages (`deb-src` derived from the
//!   machine's apt sources, a private apt state, a default list of numeric C packages).
//! * [`pipeline`]: the stages after extraction (token limit, dedup, ParrotBench exclusion, the
//!   harness with determinism runs, splits, Parquet, `stats.json`), parallel and journaled.
//! * [`stats`]: the counts of every stage, with reasons (`stats.json`).
//! * [`generated`]: the same output for the synthetic generator's programs.

pub mod corpus;
pub mod extract;
pub mod generated;
pub mod pipeline;
pub mod prefilter;
pub mod preprocess;
pub mod stats;
mod std_names;
mod translation_unit;
mod type_filter;
mod workers;

pub use extract::{Candidate, ExtractError, Extraction, FileError, extract, process_file};
pub use preprocess::{PreprocessError, Preprocessed, Preprocessor, STD_HEADERS};
pub use type_filter::{TYPE_FILTER_REVISION, TypeFilter};
