//! The C ABI of the compnet runtime: `libcompnet.a`, `libcompnet.so`, `include/compnet.h`.
//!
//! A C program opens a `.cpn` blob into a caller-allocated `compnet_surrogate` handle (full
//! validation, CRC included) and evaluates it where it called the original function. Nothing in
//! this library allocates: the handle is fixed-size storage owned by the caller, holding a
//! validated [`SurrogateView`] over the caller's blob, and evaluation scratch lives on the stack,
//! bounded by `COMPNET_MAX_WIDTH`. Every outcome is a `compnet_status`; no call panics on its
//! arguments or on blob bytes, and NULL or misaligned pointers are reported, not dereferenced.
//!
//! Without the default `std` feature the crate is `no_std` and builds the static library for
//! bare-metal targets (`cargo build -p compnet-capi --no-default-features --target
//! thumbv7em-none-eabihf --release`), with a halting `#[panic_handler]` on `target_os = "none"`.
//!
//! `docs/c-abi.md` is the C programmer's guide; `include/compnet.h` is generated from this source
//! by cbindgen (`cbindgen.toml`) and checked for drift by `tests/header.rs`.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![allow(non_camel_case_types)]

mod eval;
mod status;

pub use eval::{
    compnet_check_domain, compnet_eval, compnet_eval_batch, compnet_eval_or_fallback, compnet_fallback_fn, compnet_path,
};
pub use status::compnet_status;

use compnet_runtime::SurrogateView;
use core::ffi::c_char;
use core::mem::{align_of, size_of};
use status::compnet_status::*;

/// Version of this ABI (types, prototypes, status codes); bumped on any incompatible change.
pub const COMPNET_ABI_VERSION: u32 = 1;

/// Widest layer (inputs and outputs included) this library evaluates. Its scratch is two
/// `float[COMPNET_MAX_WIDTH]` arrays on the stack (2 KiB) for single calls; a wider surrogate is
/// refused with `COMPNET_ERR_WIDTH_EXCEEDED`.
pub const COMPNET_MAX_WIDTH: usize = 256;

/// Size of a `compnet_surrogate` in 64-bit words (192 bytes).
pub const COMPNET_SURROGATE_WORDS: usize = 24;

/// An opened surrogate. Caller-allocated (stack, static, or inside your own struct), filled by
/// `compnet_open`; its contents are private. It refers to the blob passed to `compnet_open`
/// without copying it, so the blob must stay in place and unchanged for as long as the handle is
/// used. Nothing is allocated, so there is nothing to close. After a successful open the handle is
/// read-only: it may be copied with `memcpy`/assignment and used from several threads at once.
/// A zero-initialised handle (`compnet_surrogate s = {0};`) reads as not open.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct compnet_surrogate {
    /// Private storage.
    pub opaque: [u64; COMPNET_SURROGATE_WORDS],
}

/// What the handle's storage holds after a successful open.
#[repr(C)]
struct Opened {
    /// [`OPEN_TAG`] when the view is valid, anything else when not.
    tag: u64,
    view: SurrogateView<'static>,
}

/// Marks an opened handle ("CPN open" in ASCII, plus a version byte).
const OPEN_TAG: u64 = u64::from_le_bytes(*b"CPNopen\x01");

const _: () = assert!(size_of::<Opened>() <= size_of::<compnet_surrogate>(), "compnet_surrogate is too small");
const _: () = assert!(align_of::<Opened>() <= align_of::<compnet_surrogate>(), "compnet_surrogate underaligned");

/// A NULL pointer is `COMPNET_ERR_NULL_POINTER`, a misaligned one `COMPNET_ERR_MISALIGNED`.
pub(crate) fn check_ptr<T>(p: *const T) -> Result<(), compnet_status> {
    if p.is_null() {
        Err(COMPNET_ERR_NULL_POINTER)
    } else if !p.is_aligned() {
        Err(COMPNET_ERR_MISALIGNED)
    } else {
        Ok(())
    }
}

/// The view of an opened handle.
///
/// # Safety
/// `s` is NULL, or points to a `compnet_surrogate` that is zeroed or was passed to `compnet_open`.
pub(crate) unsafe fn view_of<'a>(s: *const compnet_surrogate) -> Result<&'a SurrogateView<'static>, compnet_status> {
    check_ptr(s)?;
    let opened = s.cast::<Opened>();
    // SAFETY: `s` is non-null and aligned for `Opened` (asserted above), and the storage is large
    // enough; the tag is a plain u64 every bit pattern of which is valid.
    if unsafe { (&raw const (*opened).tag).read() } != OPEN_TAG {
        return Err(COMPNET_ERR_NOT_OPEN);
    }
    // SAFETY: the tag says `compnet_open` wrote a valid view here.
    Ok(unsafe { &(*opened).view })
}

/// Opens the surrogate in `blob[0..len]` into `*s`: checks the whole blob (magic, version, widths,
/// activations, lengths, CRC-32) and, on `COMPNET_OK`, makes `*s` a view over it. The handle
/// borrows the blob: keep it in place and unchanged while the handle is used (a `const` array in
/// flash, or a buffer you free only after the last call). On any error `*s` is marked not open.
///
/// # Safety
/// `s` is NULL or points to writable `compnet_surrogate` storage; `blob` is NULL or points to
/// `len` readable bytes that outlive every use of the handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_open(s: *mut compnet_surrogate, blob: *const u8, len: usize) -> compnet_status {
    if let Err(e) = check_ptr(s) {
        return e;
    }
    let opened = s.cast::<Opened>();
    // SAFETY: `s` is non-null, aligned and points to writable storage large enough for `Opened`.
    unsafe { (&raw mut (*opened).tag).write(0) };
    if blob.is_null() {
        return COMPNET_ERR_NULL_POINTER;
    }
    if len > isize::MAX as usize {
        return COMPNET_ERR_BLOB_LENGTH_MISMATCH;
    }
    // SAFETY: the caller guarantees `len` readable bytes at `blob` that outlive the handle.
    let bytes: &'static [u8] = unsafe { core::slice::from_raw_parts(blob, len) };
    match SurrogateView::parse(bytes) {
        Ok(view) => {
            // SAFETY: as above; the whole `Opened` is written in one go.
            unsafe { opened.write(Opened { tag: OPEN_TAG, view }) };
            COMPNET_OK
        }
        Err(e) => e.into(),
    }
}

/// Inputs of the surrogate (the `n_in` every call expects); 0 if `s` is NULL or not open.
///
/// # Safety
/// `s` is NULL or points to a `compnet_surrogate` that is zeroed or was passed to `compnet_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_n_in(s: *const compnet_surrogate) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { view_of(s) }.map_or(0, |v| v.n_in())
}

/// Outputs of the surrogate (the `n_out` every call expects); 0 if `s` is NULL or not open.
///
/// # Safety
/// As `compnet_n_in`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_n_out(s: *const compnet_surrogate) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { view_of(s) }.map_or(0, |v| v.n_out())
}

/// The widest layer, inputs and outputs included; the surrogate can be evaluated when this is at
/// most `COMPNET_MAX_WIDTH`. 0 if `s` is NULL or not open.
///
/// # Safety
/// As `compnet_n_in`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_max_width(s: *const compnet_surrogate) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { view_of(s) }.map_or(0, |v| v.max_width())
}

/// The trained domain of input `i`: `*lo <= x[i] <= *hi` is inside.
///
/// # Safety
/// As `compnet_n_in`; `lo` and `hi` are NULL or point to writable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_domain(
    s: *const compnet_surrogate,
    i: usize,
    lo: *mut f32,
    hi: *mut f32,
) -> compnet_status {
    // SAFETY: forwarded from the caller.
    let view = match unsafe { view_of(s) } {
        Ok(v) => v,
        Err(e) => return e,
    };
    if let Err(e) = check_ptr(lo).and(check_ptr(hi)) {
        return e;
    }
    if i >= view.n_in() {
        return COMPNET_ERR_INDEX;
    }
    let (l, h) = view.domain(i);
    // SAFETY: both pointers are non-null, aligned and writable (caller).
    unsafe {
        lo.write(l);
        hi.write(h);
    }
    COMPNET_OK
}

/// Copies `text` into `buf[0..cap]`, NUL-terminated, truncated at a UTF-8 boundary if needed.
///
/// # Safety
/// `buf` is NULL or points to `cap` writable bytes.
unsafe fn copy_text(text: &str, buf: *mut c_char, cap: usize) -> compnet_status {
    if buf.is_null() {
        return COMPNET_ERR_NULL_POINTER;
    }
    if cap == 0 {
        return COMPNET_ERR_BUFFER_TOO_SMALL;
    }
    let mut n = text.len().min(cap - 1);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: `buf` holds `cap > n` writable bytes (caller); `text` holds at least `n` bytes.
    unsafe {
        core::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        buf.add(n).write(0);
    }
    if n < text.len() { COMPNET_ERR_BUFFER_TOO_SMALL } else { COMPNET_OK }
}

/// Writes the program name stored in the blob (at most 65535 bytes of UTF-8) into `buf`,
/// NUL-terminated. If it does not fit in `cap` bytes, writes as much as fits (cut at a character
/// boundary, still NUL-terminated when `cap > 0`) and returns `COMPNET_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// As `compnet_n_in`; `buf` is NULL or points to `cap` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_name(s: *const compnet_surrogate, buf: *mut c_char, cap: usize) -> compnet_status {
    // SAFETY: forwarded from the caller.
    match unsafe { view_of(s) } {
        Ok(v) => unsafe { copy_text(v.name(), buf, cap) },
        Err(e) => e,
    }
}

/// Writes the C signature of the function the surrogate replaces into `buf`, as
/// `compnet_name` does.
///
/// # Safety
/// As `compnet_name`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_signature(
    s: *const compnet_surrogate,
    buf: *mut c_char,
    cap: usize,
) -> compnet_status {
    // SAFETY: forwarded from the caller.
    match unsafe { view_of(s) } {
        Ok(v) => unsafe { copy_text(v.signature(), buf, cap) },
        Err(e) => e,
    }
}

/// A static, NUL-terminated English description of a status code ("unknown status code" for a
/// value that is not one). Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn compnet_status_str(status: i32) -> *const c_char {
    compnet_status::from_code(status).map_or(c"unknown status code", compnet_status::message).as_ptr()
}

/// Halts: nothing in this crate panics on data, and a bare-metal library has no one to tell.
#[cfg(all(target_os = "none", not(feature = "std"), not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
