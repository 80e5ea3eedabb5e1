//! A surrogate from whatever a user points a command at: a `.cpn` blob, an `.onnx` file written by
//! compnet, or a run folder (`compnet fit` writes `surrogate.cpn` into it).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use compnet_runtime::{Precision, Surrogate, SurrogateView};

/// How the surrogate was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A packed `.cpn` blob.
    Blob,
    /// An ONNX graph.
    Onnx,
}

/// A surrogate read from a file, with the bytes it came from.
#[derive(Debug)]
pub struct ModelFile {
    /// The file actually read (for a run folder: its `surrogate.cpn`).
    pub path: PathBuf,
    /// Blob or ONNX.
    pub format: Format,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The surrogate it holds (f16 weights widened).
    pub surrogate: Surrogate,
    /// How its weights are stored.
    pub precision: Precision,
}

impl ModelFile {
    /// Reads `path`: a folder (its `surrogate.cpn`), or a file whose content decides the format
    /// (blobs start with the `.cpn` magic; anything else is tried as ONNX).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let path = if path.is_dir() {
            let blob = path.join("surrogate.cpn");
            if !blob.exists() {
                bail!(
                    "{} is a folder without surrogate.cpn: give a .cpn or .onnx file, or a `compnet fit` run folder",
                    path.display()
                );
            }
            blob
        } else {
            path.to_path_buf()
        };
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read model {}", path.display()))?;
        let is_blob = path.extension().is_some_and(|e| e == "cpn") || bytes.starts_with(&compnet_runtime::blob::MAGIC);
        if is_blob {
            let view =
                SurrogateView::parse(&bytes).with_context(|| format!("{} is not a valid .cpn blob", path.display()))?;
            let (surrogate, precision) = (Surrogate::from_view(&view), view.precision());
            return Ok(Self { path, format: Format::Blob, bytes, surrogate, precision });
        }
        let imported = compnet_onnx::import(&bytes).with_context(|| {
            format!("{} is neither a .cpn blob nor an ONNX surrogate written by compnet", path.display())
        })?;
        let (surrogate, precision) = (imported.surrogate, imported.options.precision);
        Ok(Self { path, format: Format::Onnx, bytes, surrogate, precision })
    }
}

/// Parses `f32` / `f16`.
pub fn parse_precision(s: &str) -> anyhow::Result<Precision> {
    match s {
        "f32" => Ok(Precision::F32),
        "f16" => Ok(Precision::F16),
        other => bail!("unknown precision {other:?}: use f32 or f16"),
    }
}
