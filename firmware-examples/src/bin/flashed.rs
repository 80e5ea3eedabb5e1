//! A sobel surrogate flashed separately from the firmware: the firmware reads the blob from the
//! `BLOB` flash region (0x0008_0000, see memory.x; under QEMU `-device loader,file=…,addr=0x80000`),
//! validates it (header, CRC, dims, program) and refuses a corrupt or mismatched blob with a
//! message and exit status 1; a good blob goes through the same on-device accuracy check as the
//! embedded firmware.
#![no_std]
#![no_main]

use core::fmt::Write;

use compnet_firmware::{Console, Program, accuracy_check, exit, flashed_blob, include_aligned};
use compnet_runtime::SurrogateView;
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
    let mut con = Console::open();
    let Some(blob) = flashed_blob(&mut con) else { exit(false) };
    let view = match SurrogateView::parse(blob) {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(con, "error: flashed blob at {:#010x} rejected: {e}", blob.as_ptr() as usize);
            exit(false)
        }
    };
    let _ = writeln!(con, "flashed blob at {:#010x}: {} bytes, valid", blob.as_ptr() as usize, blob.len());
    let sobel = Program {
        name: "sobel",
        n_in: 9,
        n_out: 1,
        original,
        inputs: include_aligned!("../../testsets/sobel.inputs.f32"),
        host_outputs: include_aligned!("../../testsets/sobel.outputs.f32"),
    };
    exit(accuracy_check(&mut con, &view, &sobel))
}
