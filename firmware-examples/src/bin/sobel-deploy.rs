//! The sobel surrogate as an application would ship it, for the footprint report: the blob
//! embedded in flash, validated once at start, then evaluated behind the out-of-domain guard.
//! No C original, no test set: only the runtime, the blob and a console to print results.
//! (`--features blob-messages` prints the parser's message for a bad blob, at ~2 kB of flash.)
#![no_std]
#![no_main]

use core::fmt::Write;

use compnet_firmware::{Console, Sci, W, exit, include_aligned};
use compnet_runtime::SurrogateView;
use cortex_m_rt::entry;

/// Three 3×3 luminance windows: flat, a vertical edge, a diagonal ramp.
static WINDOWS: [[f32; 9]; 3] =
    [[0.5; 9], [0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9], [0.0, 0.1, 0.2, 0.1, 0.2, 0.3, 0.2, 0.3, 0.4]];

#[entry]
fn main() -> ! {
    let mut con = Console::open();
    let view = match SurrogateView::parse(include_aligned!("../../blobs/sobel.cpn")) {
        Ok(v) => v,
        // A deployed firmware stops on a bad blob; the checked firmware (`flashed`) says why.
        // Formatting `BlobError` costs about 2 kB of flash (feature `blob-messages`).
        #[cfg(not(feature = "blob-messages"))]
        Err(_) => {
            let _ = con.write_str("error: sobel blob rejected\n");
            exit(false)
        }
        #[cfg(feature = "blob-messages")]
        Err(e) => {
            let _ = writeln!(con, "error: sobel blob rejected: {e}");
            exit(false)
        }
    };
    for x in &WINDOWS {
        let mut y = [0.0f32];
        // Outside the trained domain the application would call the C function; here: say so.
        if view.out_of_domain(core::hint::black_box(x)).is_some() || view.eval::<W>(x, &mut y).is_err() {
            let _ = writeln!(con, "sobel: input outside the surrogate's domain");
            exit(false)
        }
        let _ = writeln!(con, "sobel surrogate: {}", Sci(y[0]));
    }
    exit(true)
}
