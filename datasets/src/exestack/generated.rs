//! ExeStack-format datasets of generated functions (`compnet dataset synthetic`): the
//! [`synthetic`](crate::synthetic) generator's programs go through the same selection, harness,
//! splits and Parquet output as corpus functions.

use std::path::Path;
use std::time::Instant;

use super::pipeline::{BuildConfig, BuildError, BuildPaths, BuildStats, CandidateRecord, finish, select};
use crate::synthetic::{SyntheticConfig, generate};

/// Builds a dataset of `count` generated programs into `out` (resumable like a corpus build).
pub fn build_synthetic(
    count: u64,
    generator: &SyntheticConfig,
    out: &Path,
    config: &BuildConfig,
    quiet: bool,
) -> Result<BuildStats, BuildError> {
    let start = Instant::now();
    let paths = BuildPaths::new(out);
    let candidates: Vec<CandidateRecord> = (0..count)
        .map(|i| {
            let p = generate(generator, i);
            CandidateRecord { function: p.name, signature: p.signature.to_string(), source: p.source }
        })
        .collect();
    let mut stats = BuildStats { config: Some(config.clone()), ..BuildStats::default() };
    stats.packages.entry("synthetic".into()).or_default().candidates = candidates.len();
    let programs = select(candidates.iter().map(|c| ("synthetic", "synthetic", c)), config, &mut stats);
    finish(&programs, &paths, config, quiet, stats, start)
}
