//! Writes a compnet [`Surrogate`] as an ONNX graph, and reads such graphs back.
//!
//! The graph computes exactly what the runtime's kernel computes (`compnet_runtime::kernel`):
//!
//! ```text
//! x [batch, n_in] ─ Mul(in_scale) ─ Add(in_offset) ─┬─ Gemm(W0, b0, transB=1) ─ Sigmoid|Tanh|Relu ─┬─ …
//!                                                    (one Gemm per layer; no activation for identity)
//! … ─ Mul(out_scale) ─ Add(out_offset) ─ y [batch, n_out]
//! ```
//!
//! * Weights are stored `[n_out, n_in]`, row-major, exactly as the runtime's [`Layer`] holds them,
//!   and multiplied with `transB = 1`; biases are `[n_out]`.
//! * [`Precision::F16`] stores weights and biases as FLOAT16 initialisers followed by a `Cast` to
//!   FLOAT, so the graph still **computes in f32** (as the kernel does on an f16 blob); the
//!   normalisation vectors stay f32, as in the blob.
//! * The opset is 13 to 17 (default 17), written with the IR version of its ONNX release (7 for
//!   13–14, 8 for 15–17). The input `x` has the fixed shape `[batch, n_in]` (default batch 1).
//! * Metadata (program name, signature, input domain, source hash, export-time error, precision)
//!   goes to `metadata_props` under the keys in [`keys`]; the producer is `compnet` and this
//!   crate's version.
//!
//! [`from_onnx`] reads back the graphs [`to_onnx`] writes (the `Gemm` chain, with or without the
//! `Cast`s) and nothing else: any other op, a shape that does not chain, a missing initialiser or
//! metadata key is an [`OnnxError`], never a panic.
//!
//! The protobuf messages are the prost types of tract-onnx ([`tract_onnx::pb`]), encoded with
//! prost's `Message::encode`. The original design named `onnx-protobuf` 0.2.3, but it does not
//! compile against protobuf 3.7.2, and pinning protobuf 3.4.0 pulls RUSTSEC-2024-0437.
//!
//! `docs/onnx.md` describes the layout and how to check a file with onnx / onnxruntime.
//!
//! ```
//! use compnet_onnx::{ExportOptions, from_onnx, to_onnx};
//! use compnet_runtime::{Activation, Precision, Surrogate};
//! let s = Surrogate::from_layers("twice", &[(1, 1, vec![2.0], vec![1.0], Activation::Identity)]).unwrap();
//! let bytes = to_onnx(&s, &ExportOptions::default()).unwrap();
//! // Bit for bit (the blobs compare the unknown export error, NaN, by its bits).
//! assert_eq!(from_onnx(&bytes).unwrap().to_blob(Precision::F32), s.to_blob(Precision::F32));
//! ```
#![deny(missing_docs)]

mod export;
mod import;
pub mod keys;

pub use compnet_runtime::{Activation, Layer, Precision, Surrogate};
pub use export::{to_model, to_onnx};
pub use import::{ImportedModel, from_model, from_onnx, import};
pub use tract_onnx::pb;

/// Lowest opset written and read.
pub const MIN_OPSET: i64 = 13;
/// Highest opset written and read.
pub const MAX_OPSET: i64 = 17;

/// The IR version of the ONNX release that introduced `opset` (13, 14 → 7; 15, 16, 17 → 8), or
/// `None` outside [`MIN_OPSET`]..=[`MAX_OPSET`].
pub fn ir_version(opset: i64) -> Option<i64> {
    match opset {
        13 | 14 => Some(7),
        15..=17 => Some(8),
        _ => None,
    }
}

/// How a surrogate is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// Storage of weights and biases: f32, or f16 with a `Cast` to f32 before use.
    pub precision: Precision,
    /// Rows of the fixed input shape `[batch, n_in]` (≥ 1).
    pub batch: usize,
    /// ONNX opset, [`MIN_OPSET`]..=[`MAX_OPSET`].
    pub opset: i64,
}

impl Default for ExportOptions {
    /// f32 weights, batch 1, opset 17.
    fn default() -> Self {
        Self { precision: Precision::F32, batch: 1, opset: MAX_OPSET }
    }
}

/// Why a surrogate could not be written, or bytes could not be read back as a surrogate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OnnxError {
    /// An opset this crate does not write or read.
    #[error("opset {0} is not supported (use {MIN_OPSET}..={MAX_OPSET})")]
    UnsupportedOpset(i64),
    /// A batch of zero rows.
    #[error("batch must be at least 1")]
    ZeroBatch,
    /// The bytes are not a protobuf `ModelProto`.
    #[error("not an ONNX model (protobuf decode failed: {0})")]
    Decode(String),
    /// The model has no graph, or not exactly one input and one output.
    #[error("unexpected graph structure: {0}")]
    Structure(String),
    /// An operator that the compnet MLP layout does not use, or one in an unexpected place.
    #[error("node {index} ({name:?}): unexpected op {op}: {why}")]
    UnexpectedOp {
        /// Position of the node in the graph.
        index: usize,
        /// The node's name.
        name: String,
        /// Its op type.
        op: String,
        /// What was expected instead.
        why: String,
    },
    /// A node input that is neither the running activation nor an initialiser.
    #[error("node {index} ({op}) reads {input:?}, which is no initialiser (missing initialiser?)")]
    MissingInitializer {
        /// Position of the node in the graph.
        index: usize,
        /// Its op type.
        op: String,
        /// The input's name.
        input: String,
    },
    /// An initialiser or value whose shape does not fit the layer chain.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An initialiser of a type other than FLOAT / FLOAT16, or with unreadable data.
    #[error("initialiser {name:?}: {why}")]
    Tensor {
        /// The initialiser's name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// A `metadata_props` value that does not parse.
    #[error("metadata {key:?} = {value:?}: {why}")]
    Metadata {
        /// The key.
        key: String,
        /// The value found.
        value: String,
        /// What is wrong.
        why: String,
    },
    /// The recovered parts do not make a valid surrogate.
    #[error("the graph does not describe a valid surrogate: {0}")]
    Surrogate(#[from] compnet_runtime::SurrogateError),
}
