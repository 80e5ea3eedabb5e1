//! kmeans (6 → 1: pixel-to-centroid distance) on the device: the surrogate blob embedded in the
//! firmware, checked against the ParrotBench C original compiled for the Cortex-M4F, on 256 test
//! inputs in flash.
#![no_std]
#![no_main]

use compnet_firmware::{Program, include_aligned, run_embedded};
use cortex_m_rt::entry;

unsafe extern "C" {
    /// `datasets/programs/kmeans.c`, built by arm-none-eabi-gcc (build.rs).
    fn kmeans(r: f32, g: f32, b: f32, cr: f32, cg: f32, cb: f32) -> f32;
}

fn original(x: &[f32], y: &mut [f32]) {
    // SAFETY: a pure C function of six floats.
    y[0] = unsafe { kmeans(x[0], x[1], x[2], x[3], x[4], x[5]) };
}

#[entry]
fn main() -> ! {
    run_embedded(
        include_aligned!("../../blobs/kmeans.cpn"),
        &Program {
            name: "kmeans",
            n_in: 6,
            n_out: 1,
            original,
            inputs: include_aligned!("../../testsets/kmeans.inputs.f32"),
            host_outputs: include_aligned!("../../testsets/kmeans.outputs.f32"),
        },
    )
}
