//! `compnet export`: a trained surrogate → `.onnx` + `.cpn`, checked against each other on the way out.

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use clap::Args;
use compnet_onnx::ExportOptions;
use compnet_runtime::{OnnxRunner, Surrogate, SurrogateView};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::model_file::{ModelFile, parse_precision};
use crate::artifacts;

/// Rows of the export-time agreement check.
const CHECK_ROWS: usize = 256;

#[derive(Debug, Args)]
pub(super) struct ExportArgs {
    /// The trained surrogate: a `compnet fit` run folder, a `.cpn` blob or a compnet `.onnx` file.
    model: PathBuf,
    /// Output folder; default the model's folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// File stem of the outputs; default the surrogate's program name.
    #[arg(long)]
    name: Option<String>,
    /// Storage of weights and biases in both files: f32 or f16 (the runtime computes in f32).
    #[arg(long, default_value = "f32")]
    precision: String,
    /// Rows of the ONNX model's fixed input shape `[batch, n_in]`.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// ONNX opset (13 to 17).
    #[arg(long, default_value_t = compnet_onnx::MAX_OPSET)]
    opset: i64,
}

pub(super) fn export_command(a: ExportArgs) -> anyhow::Result<()> {
    let model = ModelFile::read(&a.model)?;
    let precision = parse_precision(&a.precision)?;
    let s = &model.surrogate;
    let options = ExportOptions { precision, batch: a.batch, opset: a.opset };
    let stem = a.name.clone().unwrap_or_else(|| file_stem(&s.meta.name));
    let dir = a.out.clone().unwrap_or_else(|| model.path.parent().map(PathBuf::from).unwrap_or_default());
    let (onnx_path, blob_path) = (dir.join(format!("{stem}.onnx")), dir.join(format!("{stem}.cpn")));
    ensure!(
        blob_path != model.path && onnx_path != model.path,
        "refusing to overwrite the input {}: give --out or --name",
        model.path.display()
    );
    let Exported { onnx, blob, worst } = write_checked(s, &options, &onnx_path, &blob_path)?;

    println!("surrogate    {} {:?} ({})", s.meta.name, s.widths(), model.path.display());
    println!("signature    {}", s.meta.signature);
    println!("test MSE     {:e} (recorded at export)", s.meta.export_error);
    println!(
        "onnx         {} ({} bytes, opset {}, batch {}, {precision:?})",
        onnx_path.display(),
        onnx.len(),
        a.opset,
        a.batch
    );
    println!("blob         {} ({} bytes, {precision:?})", blob_path.display(), blob.len());
    println!("agreement    tract vs core on {CHECK_ROWS} in-domain inputs: max |Δ| = {worst:.2e}");
    Ok(())
}

/// What [`write_checked`] wrote.
pub(super) struct Exported {
    /// The ONNX bytes.
    pub onnx: Vec<u8>,
    /// The blob bytes.
    pub blob: Vec<u8>,
    /// Largest |tract − core| over the agreement check.
    pub worst: f32,
}

/// Writes `s` as ONNX and as a blob, after checking that tract on the ONNX bytes and the
/// no-alloc core on the blob bytes compute the same function on inputs from the trained domain.
pub(super) fn write_checked(
    s: &Surrogate,
    options: &ExportOptions,
    onnx_path: &Path,
    blob_path: &Path,
) -> anyhow::Result<Exported> {
    let onnx = compnet_onnx::to_onnx(s, options).context("cannot write the surrogate as ONNX")?;
    let blob = s.to_blob(options.precision);
    let view = SurrogateView::parse(&blob).context("the blob just written does not parse (exporter bug)")?;
    let mut runner = OnnxRunner::load(&onnx, CHECK_ROWS).context("tract cannot load the ONNX just written")?;
    let xs = domain_samples(s.domain.as_slice(), CHECK_ROWS, s.meta.source_hash);
    let core = view.eval_rows(&xs)?;
    let tract = runner.run(&xs)?;
    let worst = core.iter().zip(&tract).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    let scale = core.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    ensure!(
        worst <= 1e-4 * scale,
        "tract on the ONNX and the core on the blob disagree by {worst:e} (outputs up to {scale}): exporter bug"
    );
    artifacts::write_atomic(onnx_path, &onnx)?;
    artifacts::write_atomic(blob_path, &blob)?;
    Ok(Exported { onnx, blob, worst })
}

/// `rows` input vectors drawn uniformly from the domain (unbounded sides clipped to ±1), seeded.
pub(super) fn domain_samples(domain: &[(f32, f32)], rows: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..rows)
        .flat_map(|_| domain.to_vec())
        .map(|(lo, hi)| {
            let lo = if lo.is_finite() { lo } else { hi.min(1.0) - 2.0 };
            let hi = if hi.is_finite() { hi } else { lo + 2.0 };
            if hi > lo { rng.random_range(lo..=hi) } else { lo }
        })
        .collect()
}

/// A program name as a file stem: letters, digits, `-` and `_` kept, anything else `_`.
pub(super) fn file_stem(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if s.is_empty() { "surrogate".into() } else { s }
}
