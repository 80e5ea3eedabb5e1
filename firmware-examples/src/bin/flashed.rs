//! A sobel surrogate flashed separately from the firmware: the firmware reads the blob from the
//! `BLOB` flash region (0x0008_0000, see memory.x; under QEMU `-device loader,file=…,addr=0x80000`),
//! validates it (header, CRC, dims, program) and refuses a corrupt or mismatched blob with a
//! message and exit status 1; a good blob goes through the same on-device accuracy check as the
//! embedded firmware.
#![no_std]
#![no_main]

use core::fmt::Write;

use compnet_firmware::{Console, Program, accuracy_check, exit, flashed_blob, include_aligned, originals};
use compnet_runtime::SurrogateView;
use cortex_m_rt::entry;

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
        original: originals::sobel,
        inputs: include_aligned!("../../testsets/sobel.inputs.f32"),
        host_outputs: include_aligned!("../../testsets/sobel.outputs.f32"),
    };
    exit(accuracy_check(&mut con, &view, &sobel))
}
