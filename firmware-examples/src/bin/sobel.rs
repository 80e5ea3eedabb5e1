//! sobel (9 → 1) on the device: the surrogate blob embedded in the firmware, checked against the
//! ParrotBench C original compiled for the Cortex-M4F, on 256 test inputs in flash.
#![no_std]
#![no_main]

use compnet_firmware::{Program, include_aligned, originals, run_embedded};
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    run_embedded(
        include_aligned!("../../blobs/sobel.cpn"),
        &Program {
            name: "sobel",
            n_in: 9,
            n_out: 1,
            original: originals::sobel,
            inputs: include_aligned!("../../testsets/sobel.inputs.f32"),
            host_outputs: include_aligned!("../../testsets/sobel.outputs.f32"),
        },
    )
}
