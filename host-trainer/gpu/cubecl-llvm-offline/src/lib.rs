//! Offline stand-in for `cubecl-llvm` 0.11.3 (see README.md): the names cubecl-cuda 0.11.3 and
//! cubecl-hip 0.11.3 use, with an LLVM compile path that only returns an error. Kernels are
//! compiled by NVRTC through cubecl-cuda's `cpp` feature instead.

#[cfg(feature = "nvptx")]
pub mod nvptx;
pub mod shared;
pub mod target;

#[cfg(feature = "amdgpu")]
pub use shared::AmdGpuModule;
#[cfg(feature = "nvptx")]
pub use shared::NvptxModule;
pub use shared::{PlironArtifact, PlironCompiler, PlironOptions};
pub use target::LlvmTarget;
