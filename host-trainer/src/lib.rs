//! compnet's trainer: burn models of surrogates, their training, and the `compnet` command line.
//!
//! * [`model`]: the surrogate MLP as a burn module, convertible to the runtime's surrogate.
//! * [`compnet`]: CompNet, the hypernetwork compiling C source to surrogate weights; training and compiling.
//! * [`fit`]: training a surrogate from random initialisation on I/O pairs.
//! * [`normalize`]: the affine input/output normalisation folded into every surrogate.
//! * [`artifacts`]: what a run writes beside its surrogate (metrics, loss curve, config, report).
//! * [`device`]: the `--device` flag.
//! * [`cli`]: the `compnet` commands.

pub mod artifacts;
pub mod cli;
pub mod compnet;
pub mod device;
pub mod eval;
pub mod fit;
pub mod model;
pub mod normalize;
