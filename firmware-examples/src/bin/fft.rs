//! fft (1 → 2: the twiddle factor's sin and cos) on the device: the surrogate blob embedded in the
//! firmware, checked against the ParrotBench C original compiled for the Cortex-M4F, on 256 test
//! inputs in flash.
#![no_std]
#![no_main]

use compnet_firmware::{Program, include_aligned, originals, run_embedded};
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    run_embedded(
        include_aligned!("../../blobs/fft.cpn"),
        &Program {
            name: "fft",
            n_in: 1,
            n_out: 2,
            original: originals::fft,
            inputs: include_aligned!("../../testsets/fft.inputs.f32"),
            host_outputs: include_aligned!("../../testsets/fft.outputs.f32"),
        },
    )
}
