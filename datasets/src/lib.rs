//! C programs and their behaviour, as data.
//!
//! * [`signature`]: the C signature of a function (scalar `float`/`double`/`int`/`long` inputs,
//!   return value, scalar out-pointers) and how it maps to a surrogate's inputs and outputs.
//! * [`harness`]: compiles a function with the system C compiler and runs it, sandboxed, on a batch
//!   of inputs; every rejected function carries a [`harness::Rejection`] naming why.
//! * [`parrot`]: the six ParrotBench programs (C sources written here), their Rust reference
//!   implementations, input generators and application error metrics.
//! * [`images`]: real photographs read from the scikit-image wheel.
//! * [`augment`]: exact rewrites of a program (its input parameters reordered) for more training text.
//! * [`store`]: Parquet files of programs and their I/O pairs.
//! * [`exestack`]: ExeStack, executable C functions from a corpus (folder or Debian sources),
//!   extracted, sandboxed, deduplicated, split; resumable.
//! * [`c_tokens`]: the C lexer shared by ExeStack (dedup, token limit) and CompNet (vocabulary).
//! * [`synthetic`]: a grammar-based generator of random numeric C functions.
//! * [`c_eval`]: an interpreter of the generator's C, for datasets built without a C compiler.
//! * [`journal`]: append-only JSON-lines journals, the memory of resumable batches and builds.
//! * [`IoPairs`]: input/output pairs of one program, the unit every other part exchanges.

pub mod augment;
pub mod c_eval;
pub mod c_tokens;
pub mod exestack;
pub mod harness;
pub mod images;
mod io_pairs;
pub mod journal;
pub mod parrot;
pub mod signature;
pub mod store;
pub mod synthetic;

pub use io_pairs::{IoPairs, IoPairsError};
