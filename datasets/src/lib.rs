//! C programs and their behaviour, as data.
//!
//! * [`signature`]: the C signature of a function (scalar `float`/`double`/`int`/`long` inputs,
//!   return value, scalar out-pointers) and how it maps to a surrogate's inputs and outputs.
//! * [`harness`]: compiles a function with the system C compiler and runs it, sandboxed, on a batch
//!   of inputs; every rejected function carries a [`harness::Rejection`] naming why.
//! * [`parrot`]: the six ParrotBench programs (C sources written here), their Rust reference
//!   implementations, input generators and application error metrics.
//! * [`images`]: real photographs read from the scikit-image wheel.
//! * [`store`]: Parquet files of programs and their I/O pairs.
//! * [`IoPairs`]: input/output pairs of one program, the unit every other part exchanges.

pub mod c_tokens;
pub mod exestack;
pub mod harness;
pub mod images;
mod io_pairs;
pub mod parrot;
pub mod signature;
pub mod store;
pub mod synthetic;

pub use io_pairs::{IoPairs, IoPairsError};
