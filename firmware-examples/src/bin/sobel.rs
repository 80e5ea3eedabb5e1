//! sobel (9 → 1) on the device: the surrogate blob embedded in the firmware, checked against the
//! ParrotBench C original compiled for the Cortex-M4F, on 256 test inputs in flash.
#![no_std]
#![no_main]

use compnet_firmware::{Program, include_aligned, run_embedded};
use cortex_m_rt::entry;

unsafe extern "C" {
    /// `datasets/programs/sobel.c`, built by arm-none-eabi-gcc (build.rs).
    fn sobel(p0: f32, p1: f32, p2: f32, p3: f32, p4: f32, p5: f32, p6: f32, p7: f32, p8: f32) -> f32;
}

fn original(x: &[f32], y: &mut [f32]) {
    // SAFETY: a pure C function of nine floats.
    y[0] = unsafe { sobel(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]) };
}

#[entry]
fn main() -> ! {
    run_embedded(
        include_aligned!("../../blobs/sobel.cpn"),
        &Program {
            name: "sobel",
            n_in: 9,
            n_out: 1,
            original,
            inputs: include_aligned!("../../testsets/sobel.inputs.f32"),
            host_outputs: include_aligned!("../../testsets/sobel.outputs.f32"),
        },
    )
}
