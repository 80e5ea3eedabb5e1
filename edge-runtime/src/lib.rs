//! What a compnet surrogate is and computes.
//!
//! A surrogate is a small MLP that stands in for a C function: `n_in → hidden… → n_out`, one
//! [`Activation`] per layer, with an affine normalisation of the raw inputs and outputs folded in so
//! that it is a true drop-in on the function's own values. This crate is the single source of truth
//! for that definition:
//!
//! * [`blob`]: the packed `.cpn` format and [`SurrogateView`], a validated zero-copy view over a
//!   blob (in flash, on a microcontroller). Every malformed blob is an [`BlobError`], never a panic.
//! * [`kernel`]: the one numeric kernel that evaluates a view, `no_std`, without `alloc`, with its
//!   scratch on the stack bounded by a const-generic maximum width.
//! * `Surrogate` (feature `std`): an owned surrogate as the trainer produces it, which serialises to
//!   a blob and evaluates through the same kernel.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use compnet_runtime::{Activation, Surrogate, SurrogateView, Precision};
//! // y = 2·x + 1, as a 1→1 identity layer.
//! let s = Surrogate::from_layers("twice", &[(1, 1, vec![2.0], vec![1.0], Activation::Identity)]).unwrap();
//! let blob = s.to_blob(Precision::F32);
//! let view = SurrogateView::parse(&blob).unwrap();
//! let mut y = [0.0f32];
//! view.eval::<16>(&[3.0], &mut y).unwrap();
//! assert_eq!(y[0], 7.0);
//! # }
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

mod activation;
pub mod blob;
mod crc;
pub mod kernel;
#[cfg(feature = "std")]
mod surrogate;

pub use activation::Activation;
pub use blob::{BlobError, Precision, SurrogateView};
pub use kernel::{EvalError, OutOfDomain};
#[cfg(feature = "std")]
pub use surrogate::{Affine, Layer, Metadata, Surrogate, SurrogateError};
