//! kmeans (6 → 1: pixel-to-centroid distance) on the device: the surrogate blob embedded in the
//! firmware, checked against the ParrotBench C original compiled for the Cortex-M4F, on 256 test
//! inputs in flash.
#![no_std]
#![no_main]

use compnet_firmware::{Program, include_aligned, originals, run_embedded};
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    run_embedded(
        include_aligned!("../../blobs/kmeans.cpn"),
        &Program {
            name: "kmeans",
            n_in: 6,
            n_out: 1,
            original: originals::kmeans,
            inputs: include_aligned!("../../testsets/kmeans.inputs.f32"),
            host_outputs: include_aligned!("../../testsets/kmeans.outputs.f32"),
        },
    )
}
