//! CompNet, the neural surrogate compiler: a hypernetwork that reads a C function's tokens and
//! writes the weights of a surrogate MLP of a fixed covering shape.
//!
//! * [`adapt`]: a few optimiser steps of many surrogates at once (first-order meta-learning).
//! * [`covering`]: the covering surrogate shape and its flat parameter layout.
//! * [`network`]: the burn module (encoder, parameter head) and the batched surrogates.
//! * [`programs`]: programs as token ids and padded, normalised pairs.
//! * [`recycle`]: a compiled surrogate's dormant units given back before finetuning.
//! * [`train`]: the training loop, checkpoints and resume.
//! * [`checkpoint`]: checkpoint folders, written atomically.
//! * [`compile`]: one function → its surrogate.
//! * [`zero_data`]: compiled against random-init surrogates with no training data.

pub mod adapt;
pub mod checkpoint;
pub mod compile;
pub mod covering;
pub mod network;
pub mod programs;
pub mod recycle;
pub mod train;
pub mod zero_data;

pub use covering::{CoveringShape, RandomInit};
pub use network::{CompNet, CompNetConfig};
