//! The footprint twin of `sobel-deploy` with the network in hand-written C (`c/sobel_ref.c`,
//! weights as C arrays, newlib `expf`) instead of the runtime and the blob: same skeleton, same
//! windows, same printing, so the difference in flash is the engine's.
#![no_std]
#![no_main]

use core::fmt::Write;

use compnet_firmware::{Console, Sci, exit};
use cortex_m_rt::entry;

unsafe extern "C" {
    /// `c/sobel_ref.c`: the sobel network as plain C loops.
    fn sobel_ref(x: *const f32, y: *mut f32);
}

/// Three 3×3 luminance windows: flat, a vertical edge, a diagonal ramp (as in `sobel-deploy`).
static WINDOWS: [[f32; 9]; 3] =
    [[0.5; 9], [0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9], [0.0, 0.1, 0.2, 0.1, 0.2, 0.3, 0.2, 0.3, 0.4]];

#[entry]
fn main() -> ! {
    let mut con = Console::open();
    for x in &WINDOWS {
        let mut y = [0.0f32];
        // SAFETY: nine readable floats in, one writable float out.
        unsafe { sobel_ref(core::hint::black_box(x).as_ptr(), y.as_mut_ptr()) };
        let _ = writeln!(con, "sobel C reference: {}", Sci(y[0]));
    }
    exit(true)
}
