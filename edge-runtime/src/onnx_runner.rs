//! Runs a surrogate's `.onnx` file with tract (feature `tract`).
//!
//! [`OnnxRunner::load`] reads the model, fixes its input to `[batch, n_in]` f32, optimises it and
//! builds an execution plan and state once; [`OnnxRunner::run`] then reuses them for every call,
//! with no re-planning. Any ONNX model with one `[batch, n_in]` f32 input and one `[batch, n_out]`
//! f32 output runs; compnet's own (`compnet-onnx`) is the intended case.
//!
//! NaN or infinite inputs are accepted and not checked, and affect only their own row (rows do not
//! mix in a compnet MLP). What such a row gets is unspecified: tract's sigmoid and tanh clamp their
//! argument with min/max, which drops a NaN, so it may come out finite where the kernel gives NaN.
//! Use [`crate::SurrogateView::out_of_domain`] where inputs must be guarded.
//!
//! ```no_run
//! use compnet_runtime::OnnxRunner;
//! let mut r = OnnxRunner::load("sobel.onnx", 1)?;
//! let y = r.run(&[0.1; 9])?;
//! assert_eq!(y.len(), r.n_out());
//! # Ok::<(), compnet_runtime::RunnerError>(())
//! ```

use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;

/// Where a model comes from: a file, or bytes already in memory.
#[derive(Debug, Clone, Copy)]
pub enum OnnxSource<'a> {
    /// An `.onnx` file.
    Path(&'a Path),
    /// The bytes of an ONNX model.
    Bytes(&'a [u8]),
}

impl<'a> From<&'a Path> for OnnxSource<'a> {
    fn from(p: &'a Path) -> Self {
        Self::Path(p)
    }
}
impl<'a> From<&'a std::path::PathBuf> for OnnxSource<'a> {
    fn from(p: &'a std::path::PathBuf) -> Self {
        Self::Path(p)
    }
}
impl<'a> From<&'a str> for OnnxSource<'a> {
    /// A file path.
    fn from(p: &'a str) -> Self {
        Self::Path(Path::new(p))
    }
}
impl<'a> From<&'a [u8]> for OnnxSource<'a> {
    fn from(b: &'a [u8]) -> Self {
        Self::Bytes(b)
    }
}
impl<'a> From<&'a Vec<u8>> for OnnxSource<'a> {
    fn from(b: &'a Vec<u8>) -> Self {
        Self::Bytes(b)
    }
}

/// Why a model could not be loaded or run. `file` is the path, or `<bytes>` for in-memory models.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a protobuf ONNX model.
    #[error("{file}: not a valid ONNX protobuf (corrupt or not an .onnx file): {message}")]
    Decode {
        /// The file.
        file: String,
        /// tract's message.
        message: String,
    },
    /// The model's inputs or outputs are not one `[batch, n_in]` f32 tensor and one `[batch, n_out]`.
    #[error("{file}: {what}")]
    Dims {
        /// The file.
        file: String,
        /// What does not fit.
        what: String,
    },
    /// A batch of zero rows was asked for.
    #[error("{file}: batch must be at least 1")]
    ZeroBatch {
        /// The file.
        file: String,
    },
    /// tract could not type, optimise or plan the model.
    #[error("{file}: tract cannot prepare the model: {message}")]
    Prepare {
        /// The file.
        file: String,
        /// tract's message, with its causes.
        message: String,
    },
    /// The input slice has the wrong length.
    #[error("{file}: expected {expected} input values ({what}), got {got}")]
    InputLen {
        /// The file.
        file: String,
        /// What the count means.
        what: String,
        /// Values expected.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// tract failed while running.
    #[error("{file}: run failed: {message}")]
    Run {
        /// The file.
        file: String,
        /// tract's message, with its causes.
        message: String,
    },
}

/// A loaded, optimised ONNX surrogate with a fixed batch and a reusable execution state.
pub struct OnnxRunner {
    file: String,
    batch: usize,
    n_in: usize,
    n_out: usize,
    state: TypedSimpleState,
}

impl std::fmt::Debug for OnnxRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxRunner")
            .field("file", &self.file)
            .field("batch", &self.batch)
            .field("n_in", &self.n_in)
            .field("n_out", &self.n_out)
            .finish_non_exhaustive()
    }
}

impl OnnxRunner {
    /// Loads a model from a path (`&str`, `&Path`) or bytes (`&[u8]`, `&Vec<u8>`), fixes its input
    /// to `[batch, n_in]` f32 (`n_in` read from the model's declared input shape), optimises it
    /// and plans it once.
    pub fn load<'a>(source: impl Into<OnnxSource<'a>>, batch: usize) -> Result<Self, RunnerError> {
        let source = source.into();
        let (file, bytes) = match source {
            OnnxSource::Path(p) => {
                let file = p.display().to_string();
                let bytes = std::fs::read(p).map_err(|source| RunnerError::Io { file: file.clone(), source })?;
                (file, std::borrow::Cow::Owned(bytes))
            }
            OnnxSource::Bytes(b) => ("<bytes>".to_owned(), std::borrow::Cow::Borrowed(b)),
        };
        Self::from_bytes(file, &bytes, batch)
    }

    fn from_bytes(file: String, bytes: &[u8], batch: usize) -> Result<Self, RunnerError> {
        if batch == 0 {
            return Err(RunnerError::ZeroBatch { file });
        }
        let onnx = tract_onnx::onnx();
        let proto = onnx
            .proto_model_for_read(&mut &bytes[..])
            .map_err(|e| RunnerError::Decode { file: file.clone(), message: format!("{e:#}") })?;
        let dims = |what: String| RunnerError::Dims { file: file.clone(), what };
        let graph = proto.graph.as_ref().ok_or_else(|| dims("the model has no graph".into()))?;
        let n_in = declared_width(graph).map_err(dims)?;
        let prepare = |e: TractError| RunnerError::Prepare { file: file.clone(), message: format!("{e:#}") };
        let model = onnx
            .model_for_proto_model(&proto)
            .map_err(prepare)?
            .with_input_fact(0, f32::fact([batch, n_in]).into())
            .map_err(prepare)?
            .into_optimized()
            .map_err(prepare)?;
        if model.inputs.len() != 1 || model.outputs.len() != 1 {
            return Err(dims(format!(
                "expected one input and one output, the model has {} and {}",
                model.inputs.len(),
                model.outputs.len()
            )));
        }
        let out = model.output_fact(0).map_err(prepare)?;
        let n_out = match out.shape.as_concrete() {
            Some(&[b, n]) if b == batch && out.datum_type == f32::datum_type() => n,
            _ => return Err(dims(format!("output is {out:?}, expected f32 [{batch}, n_out]"))),
        };
        let plan: Arc<TypedSimplePlan> = model.into_runnable().map_err(prepare)?;
        let state = TypedSimpleState::new(&plan).map_err(prepare)?;
        Ok(Self { file, batch, n_in, n_out, state })
    }

    /// Inputs per row.
    pub fn n_in(&self) -> usize {
        self.n_in
    }
    /// Outputs per row.
    pub fn n_out(&self) -> usize {
        self.n_out
    }
    /// Rows per call of [`Self::run`].
    pub fn batch(&self) -> usize {
        self.batch
    }
    /// The file the model came from (`<bytes>` for in-memory models).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Runs exactly `batch` rows: `x` holds `batch · n_in` values, row-major; returns
    /// `batch · n_out` values.
    pub fn run(&mut self, x: &[f32]) -> Result<Vec<f32>, RunnerError> {
        let expected = self.batch * self.n_in;
        if x.len() != expected {
            return Err(RunnerError::InputLen {
                file: self.file.clone(),
                what: format!("{} rows × {} inputs", self.batch, self.n_in),
                expected,
                got: x.len(),
            });
        }
        let run = |e: TractError| RunnerError::Run { file: self.file.clone(), message: format!("{e:#}") };
        let input = Tensor::from_shape(&[self.batch, self.n_in], x).map_err(run)?;
        let outputs = self.state.run(tvec!(input.into_tvalue())).map_err(run)?;
        let y: Vec<f32> = outputs[0].to_plain_array_view::<f32>().map_err(run)?.iter().copied().collect();
        Ok(y)
    }

    /// Runs any number of rows (`x.len()` a multiple of `n_in`) in chunks of `batch`, padding the
    /// last chunk with zero rows whose outputs are dropped.
    pub fn run_rows(&mut self, x: &[f32]) -> Result<Vec<f32>, RunnerError> {
        if !x.len().is_multiple_of(self.n_in) {
            return Err(RunnerError::InputLen {
                file: self.file.clone(),
                what: format!("a multiple of {} inputs", self.n_in),
                expected: x.len() / self.n_in * self.n_in,
                got: x.len(),
            });
        }
        let rows = x.len() / self.n_in;
        let mut y = Vec::with_capacity(rows * self.n_out);
        let mut padded = Vec::new();
        for chunk in x.chunks(self.batch * self.n_in) {
            let chunk_rows = chunk.len() / self.n_in;
            let out = if chunk_rows == self.batch {
                self.run(chunk)?
            } else {
                padded.clear();
                padded.extend_from_slice(chunk);
                padded.resize(self.batch * self.n_in, 0.0);
                self.run(&padded)?
            };
            y.extend_from_slice(&out[..chunk_rows * self.n_out]);
        }
        Ok(y)
    }
}

/// `n_in`: the last dimension of the model's only input, which must be a fixed number.
fn declared_width(graph: &tract_onnx::pb::GraphProto) -> Result<usize, String> {
    use tract_onnx::pb::{tensor_shape_proto::dimension::Value, type_proto};
    let initialisers: Vec<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<_> = graph.input.iter().filter(|i| !initialisers.contains(&i.name.as_str())).collect();
    let [input] = inputs.as_slice() else {
        return Err(format!("expected one graph input, the model has {}", inputs.len()));
    };
    let dims = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(type_proto::Value::TensorType(t)) => t.shape.as_ref().map(|s| s.dim.clone()).unwrap_or_default(),
        _ => return Err(format!("input {:?} is not a tensor", input.name)),
    };
    match dims.as_slice() {
        [_, last] => match last.value {
            Some(Value::DimValue(n)) if n >= 1 => Ok(n as usize),
            _ => Err(format!("input {:?} has no fixed feature dimension (shape [batch, n_in] expected)", input.name)),
        },
        _ => Err(format!("input {:?} has rank {}, expected [batch, n_in]", input.name, dims.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_bytes_are_an_error_naming_the_source() {
        let e = OnnxRunner::load(&[0xffu8, 0xff, 0xff, 0x0f, 0x12][..], 1).unwrap_err();
        assert!(matches!(e, RunnerError::Decode { .. }), "{e}");
        assert!(e.to_string().starts_with("<bytes>: not a valid ONNX protobuf"), "{e}");
    }

    #[test]
    fn missing_file_and_empty_model_are_errors() {
        let e = OnnxRunner::load("/nonexistent/model.onnx", 1).unwrap_err();
        assert!(matches!(e, RunnerError::Io { .. }) && e.to_string().contains("/nonexistent/model.onnx"), "{e}");
        // Zero bytes decode as an empty ModelProto, which has no graph.
        let e = OnnxRunner::load(&[][..], 1).unwrap_err();
        assert!(matches!(e, RunnerError::Dims { .. }), "{e}");
        let e = OnnxRunner::load(&[][..], 0).unwrap_err();
        assert!(matches!(e, RunnerError::ZeroBatch { .. }), "{e}");
    }
}
