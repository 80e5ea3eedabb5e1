//! Train/test I/O pairs of the ParrotBench programs: inputs from [`inputs`](super::inputs), outputs
//! from running the C programs through the [`Harness`], stored as one Parquet file per program.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::inputs::{self, Split};
use super::{ParrotError, ParrotProgram};
use crate::IoPairs;
use crate::harness::Harness;
use crate::images::ImageSet;
use crate::store::{self, ProgramRecord};

/// Inputs handed to the harness per call: bounds one call's time and memory, and paces the progress bar.
const PAIRS_PER_CALL: usize = 16_384;

/// A program's train and test pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct ParrotData {
    /// Training pairs.
    pub train: IoPairs,
    /// Test pairs.
    pub test: IoPairs,
}

/// A data file written by [`build_dir`].
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltFile {
    /// The Parquet file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Training pairs written.
    pub train: usize,
    /// Test pairs written.
    pub test: usize,
    /// Seconds spent generating, running and writing.
    pub seconds: f64,
}

/// The outcome of building one program's file.
#[derive(Debug)]
pub struct ProgramBuild {
    /// The program.
    pub program: &'static ParrotProgram,
    /// The file written, or why it could not be.
    pub result: Result<BuiltFile, ParrotError>,
}

/// `<name>.parquet`, the file name of a program's data.
pub fn file_name(program: &ParrotProgram) -> String {
    format!("{}.parquet", program.name)
}

/// Builds `program`'s train and test pairs: inputs generated with `seed`, outputs computed by running
/// the C source through `harness`.
pub fn build(
    program: &ParrotProgram,
    harness: &Harness,
    images: &ImageSet,
    seed: u64,
) -> Result<ParrotData, ParrotError> {
    build_with_progress(program, harness, images, seed, &ProgressBar::hidden())
}

fn build_with_progress(
    program: &ParrotProgram,
    harness: &Harness,
    images: &ImageSet,
    seed: u64,
    bar: &ProgressBar,
) -> Result<ParrotData, ParrotError> {
    let signature = program.parsed_signature()?;
    let static_name = super::find(program.name)?.name;
    let run = |split: Split| -> Result<IoPairs, ParrotError> {
        let xs = inputs::generate(program, split, images, seed)?;
        let (n_in, n_out) = (program.n_in(), program.n_out());
        let mut ys = Vec::with_capacity(xs.len() / n_in * n_out);
        for chunk in xs.chunks(PAIRS_PER_CALL * n_in) {
            let pairs = harness.evaluate(program.source, &signature, chunk).map_err(|source| ParrotError::Harness {
                program: static_name,
                split: split.name(),
                reason: source.reason(),
                source: Box::new(source),
            })?;
            if pairs.inputs() != chunk || pairs.n_out() != n_out {
                return Err(ParrotError::Data {
                    program: static_name,
                    reason: format!(
                        "the harness answered {} pairs of {}→{} for {} inputs of {n_in}→{n_out}",
                        pairs.len(),
                        pairs.n_in(),
                        pairs.n_out(),
                        chunk.len() / n_in
                    ),
                });
            }
            ys.extend_from_slice(pairs.outputs());
            bar.inc(pairs.len() as u64);
        }
        IoPairs::new(n_in, n_out, xs, ys).map_err(|e| ParrotError::Data { program: static_name, reason: e.to_string() })
    };
    let train = run(Split::Train)?;
    let test = run(Split::Test)?;
    Ok(ParrotData { train, test })
}

/// The Parquet rows of a program's data (one per split).
pub fn records(program: &ParrotProgram, data: &ParrotData) -> Vec<ProgramRecord> {
    [(Split::Train, &data.train), (Split::Test, &data.test)]
        .into_iter()
        .map(|(split, pairs)| ProgramRecord {
            name: program.name.to_owned(),
            function: program.function.to_owned(),
            source: program.source.to_owned(),
            signature: program.signature.to_owned(),
            domain: program.domain.to_vec(),
            split: split.name().to_owned(),
            pairs: pairs.clone(),
        })
        .collect()
}

/// Builds each program's data and writes it to `dir/<name>.parquet` (atomically), with a progress
/// bar on standard error. A program that fails is reported in its [`ProgramBuild`]; the others are
/// still built.
pub fn build_dir(
    dir: &Path,
    programs: &[&'static ParrotProgram],
    harness: &Harness,
    images: &ImageSet,
    seed: u64,
) -> Vec<ProgramBuild> {
    let total: usize = programs.iter().map(|p| p.sizes.train + p.sizes.test).sum();
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {human_pos}/{human_len} pairs, {elapsed} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut out = Vec::with_capacity(programs.len());
    for &program in programs {
        bar.set_message(program.name);
        let start = Instant::now();
        let before = bar.position();
        let result = build_with_progress(program, harness, images, seed, &bar).and_then(|data| {
            let path = dir.join(file_name(program));
            let bytes = store::write_records(&path, &records(program, &data))?;
            Ok(BuiltFile {
                path,
                bytes,
                train: data.train.len(),
                test: data.test.len(),
                seconds: start.elapsed().as_secs_f64(),
            })
        });
        if let Err(e) = &result {
            bar.set_position(before + (program.sizes.train + program.sizes.test) as u64);
            bar.println(format!("{}: failed: {e}", program.name));
        }
        out.push(ProgramBuild { program, result });
    }
    bar.finish_with_message("done");
    out
}

/// Reads `program`'s data from `dir/<name>.parquet`, checking the file holds this program's current
/// source and signature.
pub fn load(dir: &Path, program: &ParrotProgram) -> Result<ParrotData, ParrotError> {
    let program = super::find(program.name)?;
    let path = dir.join(file_name(program));
    if !path.exists() {
        return Err(ParrotError::MissingFile { program: program.name, path });
    }
    let stale = |reason: String| ParrotError::StaleFile { path: path.clone(), reason };
    let records = store::read_records(&path)?;
    let split = |which: Split| -> Result<IoPairs, ParrotError> {
        let r = records
            .iter()
            .find(|r| r.name == program.name && r.split == which.name())
            .ok_or_else(|| stale(format!("no `{}` row for program `{}`", which.name(), program.name)))?;
        if r.source != program.source || r.signature != program.signature {
            return Err(stale(format!("`{}` was built from a different source or signature", program.name)));
        }
        if r.pairs.n_in() != program.n_in() || r.pairs.n_out() != program.n_out() {
            return Err(stale(format!(
                "`{}` pairs are {}→{}, the program is {}→{}",
                program.name,
                r.pairs.n_in(),
                r.pairs.n_out(),
                program.n_in(),
                program.n_out()
            )));
        }
        Ok(r.pairs.clone())
    };
    Ok(ParrotData { train: split(Split::Train)?, test: split(Split::Test)? })
}
