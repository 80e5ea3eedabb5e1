//! fft (1 → 2: the twiddle factor's sin and cos) on the device: the surrogate blob embedded in the
//! firmware, checked against the ParrotBench C original compiled for the Cortex-M4F, on 256 test
//! inputs in flash.
#![no_std]
#![no_main]

use compnet_firmware::{Program, include_aligned, run_embedded};
use cortex_m_rt::entry;

unsafe extern "C" {
    /// `datasets/programs/fft.c`, built by arm-none-eabi-gcc (build.rs).
    fn fft(x: f32, sin_out: *mut f32, cos_out: *mut f32);
}

fn original(x: &[f32], y: &mut [f32]) {
    let (mut s, mut c) = (0.0f32, 0.0f32);
    // SAFETY: the two out-pointers are valid, distinct floats.
    unsafe { fft(x[0], &mut s, &mut c) };
    y[0] = s;
    y[1] = c;
}

#[entry]
fn main() -> ! {
    run_embedded(
        include_aligned!("../../blobs/fft.cpn"),
        &Program {
            name: "fft",
            n_in: 1,
            n_out: 2,
            original,
            inputs: include_aligned!("../../testsets/fft.inputs.f32"),
            host_outputs: include_aligned!("../../testsets/fft.outputs.f32"),
        },
    )
}
