//! Copied from upstream cubecl-llvm 0.11.3 (`nvptx/ptx_version.rs`, tests removed).
pub mod ptx_version;
