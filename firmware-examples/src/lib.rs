//! What the firmware examples share: a semihosting console with a compact float printer, the
//! on-device accuracy check (surrogate against the original C function on a test set in flash),
//! the separately flashed blob region, and the exit codes QEMU passes back to CI.
#![no_std]
#![deny(missing_docs)]

use core::fmt::Write;

use compnet_runtime::SurrogateView;
use cortex_m_semihosting::{debug, hio};

/// The device interrupt vectors after the 16 system exceptions. The firmware enables no device
/// interrupt, so the table has one entry (cortex-m-rt's link script requires at least one)
/// instead of cortex-m-rt's default 240, which would take 960 bytes of flash.
#[unsafe(link_section = ".vector_table.interrupts")]
#[unsafe(no_mangle)]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); 1] = [unused_interrupt];

unsafe extern "C" fn unused_interrupt() {
    exit(false)
}

/// Scratch bound of the firmware's evaluator: the widest layer of any surrogate they run.
pub const W: usize = 16;

/// A blob embedded in the firmware image, aligned to 4 bytes like a section of the blob itself.
#[repr(C, align(4))]
pub struct Aligned<const N: usize>(pub [u8; N]);

/// Embeds a file as a `static` 4-byte-aligned byte array: `include_aligned!("../blobs/sobel.cpn")`.
#[macro_export]
macro_rules! include_aligned {
    ($path:literal) => {{
        static DATA: $crate::Aligned<{ include_bytes!($path).len() }> = $crate::Aligned(*include_bytes!($path));
        &DATA.0 as &'static [u8]
    }};
}

/// Semihosting standard output (the host terminal under QEMU).
pub struct Console(Option<hio::HostStream>);

impl Console {
    /// Opens the host's standard output; if there is no debugger/host, output is dropped.
    pub fn open() -> Self {
        Self(hio::hstdout().ok())
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        match &mut self.0 {
            Some(h) => h.write_all(s.as_bytes()).map_err(|_| core::fmt::Error),
            None => Ok(()),
        }
    }
}

/// Ends the program: QEMU exits with status 0 on `true`, 1 on `false`.
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    // Without a semihosting host `exit` returns: stay here.
    loop {
        cortex_m::asm::wfi();
    }
}

/// An f32 printed as `-1.234e-05` (4 significant digits) with integer arithmetic only, so a
/// firmware does not pull in core's float formatting (several kB of flash).
#[derive(Debug, Clone, Copy)]
pub struct Sci(pub f32);

impl core::fmt::Display for Sci {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        let sign = if x.is_sign_negative() { "-" } else { "" };
        let mut a = if x < 0.0 { -x } else { x };
        if a == f32::INFINITY {
            return write!(f, "{sign}inf");
        }
        if a == 0.0 {
            return write!(f, "{sign}0.000e+00");
        }
        let mut e: i32 = 0;
        while a >= 10.0 {
            a /= 10.0;
            e += 1;
        }
        while a < 1.0 {
            a *= 10.0;
            e -= 1;
        }
        let mut m = (a * 1000.0 + 0.5) as u32;
        if m >= 10_000 {
            m /= 10;
            e += 1;
        }
        let es = if e < 0 { '-' } else { '+' };
        write!(f, "{sign}{}.{:03}e{es}{:02}", m / 1000, m % 1000, e.unsigned_abs())
    }
}

/// The function a surrogate replaces, with the data that checks one against the other.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// Its name (the blob's program name must match).
    pub name: &'static str,
    /// Inputs per call.
    pub n_in: usize,
    /// Outputs per call.
    pub n_out: usize,
    /// The original C function, compiled for this target with arm-none-eabi-gcc, on a slice.
    pub original: fn(&[f32], &mut [f32]),
    /// Test inputs: little-endian f32, `n_in` per case.
    pub inputs: &'static [u8],
    /// The outputs the host harness recorded for the same inputs: little-endian f32, `n_out` per case.
    pub host_outputs: &'static [u8],
}

/// Threshold of the on-device check on the mean squared error, from the test MSE the blob
/// recorded at export: `max(4 × export MSE, 1e-6)`. The device's few hundred cases estimate the
/// same expectation as the export's full test split, with sampling noise (tens of percent for a
/// heavy-tailed squared error); 4× absorbs that while a wrong weight, activation or layout gives
/// errors orders of magnitude larger. The floor keeps a near-exact surrogate from failing on
/// f32 rounding. `None` when the blob recorded no error (NaN).
pub fn threshold(export_mse: f32) -> Option<f32> {
    if export_mse.is_nan() || export_mse < 0.0 {
        return None;
    }
    Some(if 4.0 * export_mse > 1e-6 { 4.0 * export_mse } else { 1e-6 })
}

/// Largest difference tolerated between the C original on the device and the outputs the host
/// harness recorded (same C source, different compiler and libm): a cross-compilation check.
pub const HOST_TOLERANCE: f32 = 1e-5;

fn f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// Refuses a blob that does not fit `p` (wrong program or dimensions), with a message.
pub fn check_fits(con: &mut Console, view: &SurrogateView<'_>, p: &Program) -> bool {
    if view.n_in() != p.n_in || view.n_out() != p.n_out || view.name() != p.name {
        let _ = writeln!(
            con,
            "error: blob is surrogate `{}` with {} inputs -> {} outputs, this firmware needs `{}` with {} -> {} \
             (mismatched blob, refused)",
            view.name(),
            view.n_in(),
            view.n_out(),
            p.name,
            p.n_in,
            p.n_out
        );
        return false;
    }
    if view.max_width() > W {
        let _ = writeln!(con, "error: blob needs scratch width {}, firmware built for {W} (refused)", view.max_width());
        return false;
    }
    true
}

/// The on-device accuracy check: the surrogate against the original C function on every test
/// input in flash. Prints mean and max absolute error and the MSE, compares the MSE with
/// [`threshold`] and returns whether it passed.
pub fn accuracy_check(con: &mut Console, view: &SurrogateView<'_>, p: &Program) -> bool {
    if !check_fits(con, view, p) {
        return false;
    }
    let mut widths = [0usize; 8];
    let n_widths = (view.n_layers() + 1).min(widths.len());
    for (i, w) in widths.iter_mut().enumerate().take(n_widths) {
        *w = view.width(i);
    }
    let _ = write!(con, "{}: surrogate ", p.name);
    for (i, w) in widths[..n_widths].iter().enumerate() {
        let _ = write!(con, "{}{w}", if i == 0 { "" } else { "->" });
    }
    let cases = p.inputs.len() / (4 * p.n_in);
    let _ = writeln!(con, ", {}-byte blob (header, dims, CRC valid); {cases} test inputs in flash", view.bytes().len());

    let (mut x, mut y_c, mut y_s) = ([0.0f32; W], [0.0f32; W], [0.0f32; W]);
    let (mut sum_sq, mut sum_abs, mut max_abs, mut host_dev) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    let mut out_of_domain = 0u32;
    let mut host = f32s(p.host_outputs);
    let mut inputs = f32s(p.inputs);
    for _ in 0..cases {
        for xi in &mut x[..p.n_in] {
            *xi = inputs.next().unwrap_or(0.0);
        }
        let x = &x[..p.n_in];
        if view.out_of_domain(x).is_some() {
            out_of_domain += 1;
        }
        (p.original)(x, &mut y_c[..p.n_out]);
        if let Err(e) = view.eval::<W>(x, &mut y_s[..p.n_out]) {
            let _ = writeln!(con, "error: surrogate evaluation failed: {e}");
            return false;
        }
        for (&c, &s) in y_c[..p.n_out].iter().zip(&y_s[..p.n_out]) {
            let d = if s > c { s - c } else { c - s };
            let h = host.next().unwrap_or(f32::NAN);
            let hd = if h > c { h - c } else { c - h };
            host_dev = if hd > host_dev || hd.is_nan() { hd } else { host_dev };
            sum_sq += d * d;
            sum_abs += d;
            max_abs = if d > max_abs || d.is_nan() { d } else { max_abs };
        }
    }
    let n = (cases * p.n_out) as f32;
    let mse = sum_sq / n;
    let _ = writeln!(
        con,
        "  C original on device vs host harness outputs: max |diff| {} (tolerance {})",
        Sci(host_dev),
        Sci(HOST_TOLERANCE)
    );
    let _ = writeln!(
        con,
        "  surrogate vs C original: mean |err| {}, max |err| {}, MSE {} ({out_of_domain} inputs outside the trained domain)",
        Sci(sum_abs / n),
        Sci(max_abs),
        Sci(mse)
    );
    let export = view.export_error();
    let Some(limit) = threshold(export) else {
        let _ = writeln!(con, "FAIL: the blob records no export error (NaN): no threshold to check against");
        return false;
    };
    let host_ok = host_dev <= HOST_TOLERANCE;
    let ok = mse <= limit && host_ok;
    let _ = writeln!(con, "  threshold: MSE <= max(4 x export MSE {}, 1e-6) = {}", Sci(export), Sci(limit));
    if !host_ok {
        let _ = writeln!(con, "FAIL: {}: the C original on the device disagrees with the host harness", p.name);
    } else if ok {
        let _ = writeln!(con, "PASS: {}: on-device MSE {} <= {}", p.name, Sci(mse), Sci(limit));
    } else {
        let _ = writeln!(con, "FAIL: {}: on-device MSE {} > {}", p.name, Sci(mse), Sci(limit));
    }
    ok
}

/// Parses and checks an embedded blob, then exits with the check's result.
pub fn run_embedded(blob: &'static [u8], p: &Program) -> ! {
    let mut con = Console::open();
    match SurrogateView::parse(blob) {
        Ok(view) => exit(accuracy_check(&mut con, &view, p)),
        Err(e) => {
            let _ = writeln!(con, "error: embedded {} blob rejected: {e}", p.name);
            exit(false)
        }
    }
}

/// The flash region a blob is flashed into separately from the firmware (`BLOB` in `memory.x`).
pub fn flashed_blob_region() -> &'static [u8] {
    unsafe extern "C" {
        static _blob_region_start: u8;
        static _blob_region_end: u8;
    }
    // SAFETY: the linker script defines both symbols as the bounds of the BLOB memory region,
    // which is mapped, readable and never written by the firmware.
    unsafe {
        let start = &raw const _blob_region_start;
        let end = &raw const _blob_region_end;
        core::slice::from_raw_parts(start, end as usize - start as usize)
    }
}

/// The blob in the flashed region: its header's length field says how many bytes it spans.
/// Errors say what is wrong: nothing flashed, a length past the region's end.
pub fn flashed_blob(con: &mut Console) -> Option<&'static [u8]> {
    let region = flashed_blob_region();
    let magic = &region[..4];
    if magic.iter().all(|&b| b == 0) || magic.iter().all(|&b| b == 0xFF) {
        let _ = writeln!(
            con,
            "error: no blob in the flash region at {:#010x} (erased); flash one there",
            region.as_ptr() as usize
        );
        return None;
    }
    if magic != compnet_runtime::blob::MAGIC {
        // Let the parser name what is there.
        return Some(&region[..compnet_runtime::blob::HEADER_LEN]);
    }
    let len = u32::from_le_bytes([region[16], region[17], region[18], region[19]]) as usize;
    if len > region.len() {
        let _ = writeln!(
            con,
            "error: blob header at {:#010x} declares {len} bytes, the region holds {} (corrupt blob, refused)",
            region.as_ptr() as usize,
            region.len()
        );
        return None;
    }
    Some(&region[..len])
}

/// Every firmware's panic handler: says so on the console and exits with failure (built with
/// `panic = "abort"`; no message formatting, to keep flash small).
#[panic_handler]
fn panicked(_: &core::panic::PanicInfo<'_>) -> ! {
    let _ = Console::open().write_str("panic: firmware aborted\n");
    exit(false)
}

const STACK_PAINT: u32 = 0x5AA5_C33C;

unsafe extern "C" {
    /// End of static RAM (cortex-m-rt's link script): the stack can grow down to here.
    static __sheap: u32;
}

/// Fills the unused stack (from the end of static RAM up to just below the caller's frame) with
/// a pattern, and returns the stack pointer at the call; [`stack_used_since`] then tells how
/// deep the stack went.
#[inline(never)]
pub fn paint_stack() -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = &raw const __sheap as usize;
    while p + 64 < sp {
        // SAFETY: between the end of static RAM and the live stack: memory nobody owns.
        unsafe { core::ptr::write_volatile(p as *mut u32, STACK_PAINT) };
        p += 4;
    }
    sp
}

/// Bytes of stack used below `sp` (returned by [`paint_stack`]) since it was painted.
pub fn stack_used_since(sp: usize) -> usize {
    let mut p = &raw const __sheap as usize;
    // SAFETY: reads of the painted region, which is mapped RAM.
    while p < sp && unsafe { core::ptr::read_volatile(p as *const u32) } == STACK_PAINT {
        p += 4;
    }
    sp.saturating_sub(p)
}

/// The ParrotBench C originals, compiled for the device by `build.rs` (arm-none-eabi-gcc, newlib's
/// hard-float libm), as the `fn(inputs, outputs)` the accuracy checks call.
pub mod originals {
    unsafe extern "C" {
        #[link_name = "sobel"]
        fn sobel_c(p0: f32, p1: f32, p2: f32, p3: f32, p4: f32, p5: f32, p6: f32, p7: f32, p8: f32) -> f32;
        #[link_name = "fft"]
        fn fft_c(x: f32, sin_out: *mut f32, cos_out: *mut f32);
        #[link_name = "kmeans"]
        fn kmeans_c(r: f32, g: f32, b: f32, cr: f32, cg: f32, cb: f32) -> f32;
    }

    /// `datasets/programs/sobel.c`: 9 → 1.
    pub fn sobel(x: &[f32], y: &mut [f32]) {
        // SAFETY: a pure C function of nine floats.
        y[0] = unsafe { sobel_c(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]) };
    }

    /// `datasets/programs/fft.c`: 1 → 2 (sin, cos).
    pub fn fft(x: &[f32], y: &mut [f32]) {
        let (mut s, mut c) = (0.0f32, 0.0f32);
        // SAFETY: the two out-pointers are valid, distinct floats.
        unsafe { fft_c(x[0], &mut s, &mut c) };
        y[0] = s;
        y[1] = c;
    }

    /// `datasets/programs/kmeans.c`: 6 → 1.
    pub fn kmeans(x: &[f32], y: &mut [f32]) {
        // SAFETY: a pure C function of six floats.
        y[0] = unsafe { kmeans_c(x[0], x[1], x[2], x[3], x[4], x[5]) };
    }
}
