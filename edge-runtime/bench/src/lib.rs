//! Benchmarks only: `cargo bench -p compnet-engine-bench` (see `benches/engines.rs` and
//! docs/benchmarks.md). The build script links the ParrotBench C originals for the comparison.
