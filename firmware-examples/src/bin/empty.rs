//! The skeleton every firmware shares (startup, console, exit) with no surrogate: the baseline
//! that the footprint report subtracts to give the runtime's own share.
#![no_std]
#![no_main]

use core::fmt::Write;

use compnet_firmware::{Console, Sci, exit};
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    let mut con = Console::open();
    let _ = writeln!(con, "empty firmware: {}", Sci(core::hint::black_box(0.5)));
    exit(true)
}
