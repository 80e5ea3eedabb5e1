//! Instructions per inference of the sobel network, counted by QEMU: run with `-icount shift=0`
//! (one instruction = one nanosecond of virtual time), the SysTick counter (core clock) ticks in
//! virtual time, and a calibration on straight-line `nop`s converts ticks to instructions. Each
//! engine runs on the 256 sobel test inputs (copied to RAM first) 4 times; an empty loop over the
//! same inputs is the baseline the per-inference figures are net of.
//!
//! Prints `BENCH <engine> <gross> <net>` lines (instructions per inference, one decimal), read by
//! `ci/firmware-report.sh`.
#![no_std]
#![no_main]

use core::fmt::Write;
use core::hint::black_box;

use compnet_firmware::{Aligned, Console, exit, include_aligned};
use compnet_runtime::SurrogateView;
use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::entry;

#[rustfmt::skip] // generated code, kept byte for byte as the generator writes it
#[allow(dead_code)] // DOMAIN: the guard is not part of the measured loop
#[path = "../../generated/sobel_fixed.rs"]
mod sobel_fixed;

unsafe extern "C" {
    /// `datasets/programs/sobel.c`, built by arm-none-eabi-gcc (build.rs).
    fn sobel(p0: f32, p1: f32, p2: f32, p3: f32, p4: f32, p5: f32, p6: f32, p7: f32, p8: f32) -> f32;
    /// `c/sobel_ref.c`: the same network as plain hand-written C (newlib `expf`).
    fn sobel_ref(x: *const f32, y: *mut f32);
}

const CASES: usize = 256;
const REPEAT: usize = 4;
const N: u64 = (CASES * REPEAT) as u64;

/// SysTick ticks spent in `f` (the counter counts down through 24 bits; runs stay far below a wrap).
fn ticks(f: impl FnOnce()) -> u64 {
    let start = SYST::get_current();
    f();
    let end = SYST::get_current();
    (start.wrapping_sub(end) & 0x00FF_FFFF) as u64
}

/// `reps` blocks of 80 `nop`s, each closed by `subs` + `bne.w` (all in one asm block, so the
/// count is exactly `reps` × 82).
#[inline(never)]
fn nops80(reps: u32) {
    // SAFETY: only nops and a counted loop on a scratch register.
    unsafe {
        core::arch::asm!("2:", ".rept 80", "nop", ".endr", "subs {n}, #1", "bne.w 2b",
            n = inout(reg) reps.max(1) => _, options(nomem, nostack))
    };
}

/// `reps` blocks of 30 `nop`s with the same loop as [`nops80`]: `reps` × 32 instructions.
#[inline(never)]
fn nops30(reps: u32) {
    // SAFETY: as above.
    unsafe {
        core::arch::asm!("2:", ".rept 30", "nop", ".endr", "subs {n}, #1", "bne.w 2b",
            n = inout(reg) reps.max(1) => _, options(nomem, nostack))
    };
}

#[entry]
fn main() -> ! {
    let mut con = Console::open();
    let mut cp = cortex_m::Peripherals::take().unwrap();
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(0x00FF_FFFF);
    cp.SYST.clear_current();
    cp.SYST.enable_counter();

    // Calibration: 2000 blocks of 80 nops minus 2000 blocks of 30 (same loop code) is exactly
    // 100 000 instructions.
    let per_100k = ticks(|| nops80(2000)) - ticks(|| nops30(2000));
    let _ = writeln!(con, "calibration: 100000 instructions = {per_100k} SysTick ticks");
    if per_100k == 0 {
        let _ = writeln!(con, "error: SysTick does not advance with instructions: run QEMU with -icount shift=0");
        exit(false);
    }
    // instructions per inference × 10, from ticks over N inferences
    let insns_x10 = |t: u64| (t * 1_000_000 + per_100k * N / 2) / (per_100k * N);

    let bytes = include_aligned!("../../../testsets/sobel.inputs.f32");
    let mut inputs = [[0.0f32; 9]; CASES];
    for (x, c) in inputs.iter_mut().flatten().zip(bytes.chunks_exact(4)) {
        *x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let inputs = black_box(&inputs);
    let view = match SurrogateView::parse(black_box(include_aligned!("../../../blobs/sobel.cpn"))) {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(con, "error: sobel blob rejected: {e}");
            exit(false)
        }
    };
    let view = black_box(view);
    // The same blob one byte past a 4-byte boundary (in RAM): the kernel cannot read its weights in
    // place as f32 and assembles each from bytes (the fallback path, same bits).
    const BLOB_LEN: usize = include_bytes!("../../../blobs/sobel.cpn").len();
    let mut shifted = Aligned([0u8; BLOB_LEN + 4]);
    shifted.0[1..=BLOB_LEN].copy_from_slice(include_aligned!("../../../blobs/sobel.cpn"));
    let unaligned = match SurrogateView::parse(black_box(&shifted.0[1..=BLOB_LEN])) {
        Ok(v) => black_box(v),
        Err(e) => {
            let _ = writeln!(con, "error: sobel blob rejected at an unaligned address: {e}");
            exit(false)
        }
    };

    let baseline = ticks(|| {
        for _ in 0..REPEAT {
            for x in inputs {
                black_box(black_box(x)[4]);
            }
        }
    });
    let mut report = |name: &str, t: u64| {
        let (g, b) = (insns_x10(t), insns_x10(baseline));
        let net = g.saturating_sub(b);
        let _ = writeln!(con, "BENCH {name} {}.{} {}.{}", g / 10, g % 10, net / 10, net % 10);
    };
    report("loop-baseline", baseline);

    let mut check = 0.0f32;
    report(
        "rust-blob-w9",
        ticks(|| {
            for _ in 0..REPEAT {
                for x in inputs {
                    let mut y = [0.0f32];
                    let _ = view.eval::<9>(black_box(x), &mut y);
                    black_box(y);
                }
            }
        }),
    );
    report(
        "rust-blob-w16",
        ticks(|| {
            for _ in 0..REPEAT {
                for x in inputs {
                    let mut y = [0.0f32];
                    let _ = view.eval::<16>(black_box(x), &mut y);
                    black_box(y);
                }
            }
        }),
    );
    report(
        "rust-blob-unaligned",
        ticks(|| {
            for _ in 0..REPEAT {
                for x in inputs {
                    let mut y = [0.0f32];
                    let _ = unaligned.eval::<9>(black_box(x), &mut y);
                    black_box(y);
                }
            }
        }),
    );
    report(
        "rust-fixed",
        ticks(|| {
            for _ in 0..REPEAT {
                for x in inputs {
                    black_box(sobel_fixed::eval(black_box(x)));
                }
            }
        }),
    );
    report(
        "c-reference",
        ticks(|| {
            for _ in 0..REPEAT {
                for x in inputs {
                    let mut y = [0.0f32];
                    // SAFETY: nine readable floats in, one writable float out.
                    unsafe { sobel_ref(black_box(x).as_ptr(), y.as_mut_ptr()) };
                    black_box(y);
                }
            }
        }),
    );
    report(
        "c-original",
        ticks(|| {
            for _ in 0..REPEAT {
                for x in inputs {
                    // SAFETY: a pure C function of nine floats.
                    black_box(unsafe { sobel(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]) });
                }
            }
        }),
    );
    // Validation, per blob load (CRC over the blob and header checks): 16 parses.
    let blob = black_box(include_aligned!("../../../blobs/sobel.cpn"));
    let t = ticks(|| {
        for _ in 0..16 {
            black_box(SurrogateView::parse(black_box(blob)).is_ok());
        }
    });
    let parse_x10 = (t * 1_000_000 * 10 / 16 + per_100k / 2) / per_100k / 10;
    let _ =
        writeln!(con, "BENCH parse-blob {}.{} {}.{}", parse_x10 / 10, parse_x10 % 10, parse_x10 / 10, parse_x10 % 10);

    // Stack depth of one inference per engine (painted stack, from the caller's frame down).
    let x = &inputs[1];
    let sp = compnet_firmware::paint_stack();
    let mut y = [0.0f32];
    let _ = view.eval::<9>(black_box(x), &mut y);
    black_box(y);
    let _ = writeln!(con, "STACK rust-blob-w9 {}", compnet_firmware::stack_used_since(sp));
    let sp = compnet_firmware::paint_stack();
    black_box(sobel_fixed::eval(black_box(x)));
    let _ = writeln!(con, "STACK rust-fixed {}", compnet_firmware::stack_used_since(sp));
    let sp = compnet_firmware::paint_stack();
    // SAFETY: as above.
    unsafe { sobel_ref(black_box(x).as_ptr(), y.as_mut_ptr()) };
    black_box(y);
    let _ = writeln!(con, "STACK c-reference {}", compnet_firmware::stack_used_since(sp));

    // All engines agree on the first input (sanity: the figures are of working code).
    let x = &inputs[0];
    let mut y_blob = [0.0f32];
    let _ = view.eval::<9>(x, &mut y_blob);
    let y_fixed = sobel_fixed::eval(x);
    let mut y_ref = [0.0f32];
    // SAFETY: as above.
    unsafe { sobel_ref(x.as_ptr(), y_ref.as_mut_ptr()) };
    check += (y_blob[0] - y_fixed[0]).abs() + (y_blob[0] - y_ref[0]).abs();
    // Weights in place (aligned blob) and byte-wise (unaligned copy): the same bits on every input.
    let mut same_bits = true;
    for x in inputs {
        let (mut a, mut b) = ([0.0f32], [0.0f32]);
        let _ = view.eval::<9>(x, &mut a);
        let _ = unaligned.eval::<9>(x, &mut b);
        same_bits &= a[0].to_bits() == b[0].to_bits();
    }
    if !same_bits {
        let _ = writeln!(con, "error: the aligned and the unaligned blob give different results");
    }

    let _ = writeln!(
        con,
        "engines agree on input 0: blob {:?}, fixed {:?}, C reference {:?}",
        y_blob[0].to_bits(),
        y_fixed[0].to_bits(),
        y_ref[0].to_bits()
    );
    exit(check < 1e-5 && same_bits)
}
