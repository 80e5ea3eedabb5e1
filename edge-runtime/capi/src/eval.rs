//! Evaluation and the out-of-domain guard.

use crate::status::compnet_status::{self, *};
use crate::status::status_of;
use crate::{COMPNET_MAX_WIDTH, check_ptr, compnet_surrogate, view_of};
use compnet_runtime::{EvalError, SurrogateView};
use core::ffi::c_void;

/// Which path produced the outputs of `compnet_eval_or_fallback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum compnet_path {
    /// Every input was inside the trained domain: the surrogate ran.
    COMPNET_PATH_SURROGATE = 0,
    /// An input was outside it: the fallback (the original function) ran.
    COMPNET_PATH_FALLBACK = 1,
}

/// The original function, called by `compnet_eval_or_fallback` on the same buffers when an input
/// is outside the trained domain: read `x[0..n_in]`, write `y[0..n_out]`. `user` is passed through.
pub type compnet_fallback_fn =
    Option<unsafe extern "C" fn(x: *const f32, n_in: usize, y: *mut f32, n_out: usize, user: *mut c_void)>;

/// The host (`std`) batch path evaluates tiles of 8 rows with a `2 × 8 × W`-float scratch: `W` is
/// this for surrogates up to 32 wide (2 KiB), `COMPNET_MAX_WIDTH` (16 KiB) for wider ones. The
/// bare-metal build goes one row at a time instead (no SIMD to feed on a Cortex-M, and one copy of
/// the kernel in flash instead of two); both give the same bits as single calls.
#[cfg(feature = "std")]
const SMALL_TILE_WIDTH: usize = 32;

/// `n` floats at `p` as a byte range, or `None` if the count overflows the address space.
fn byte_range(p: *const f32, n: usize) -> Option<(usize, usize)> {
    let bytes = n.checked_mul(size_of::<f32>()).filter(|&b| b <= isize::MAX as usize)?;
    let start = p as usize;
    Some((start, start.checked_add(bytes)?))
}

/// Checks an input and an output buffer of `n_x` and `n_y` floats: non-null, aligned, within
/// the address space, and not overlapping (a slice and a mutable slice over the same memory would
/// be undefined behaviour, so in-place evaluation is refused with `COMPNET_ERR_OVERLAP`).
fn check_buffers(x: *const f32, n_x: usize, y: *const f32, n_y: usize) -> Result<(), compnet_status> {
    check_ptr(x)?;
    check_ptr(y)?;
    let (x0, x1) = byte_range(x, n_x).ok_or(COMPNET_ERR_INPUT_LEN)?;
    let (y0, y1) = byte_range(y, n_y).ok_or(COMPNET_ERR_OUTPUT_LEN)?;
    if x0 < y1 && y0 < x1 { Err(COMPNET_ERR_OVERLAP) } else { Ok(()) }
}

/// The view of `s` after checking the per-row counts and the width.
///
/// # Safety
/// As [`view_of`].
unsafe fn checked_view<'a>(
    s: *const compnet_surrogate,
    n_in: usize,
    n_out: usize,
) -> Result<&'a SurrogateView<'static>, compnet_status> {
    // SAFETY: forwarded from the caller.
    let view = unsafe { view_of(s) }?;
    if n_in != view.n_in() {
        return Err(COMPNET_ERR_INPUT_LEN);
    }
    if n_out != view.n_out() {
        return Err(COMPNET_ERR_OUTPUT_LEN);
    }
    if view.max_width() > COMPNET_MAX_WIDTH {
        return Err(COMPNET_ERR_WIDTH_EXCEEDED);
    }
    Ok(view)
}

/// Evaluates the surrogate on one input vector of raw values: `y[0..n_out] = f(x[0..n_in])`.
/// `n_in` and `n_out` must equal `compnet_n_in(s)` and `compnet_n_out(s)`; `x` and `y` must not
/// overlap. Gives the same bits as the Rust runtime's `SurrogateView::eval` on every target.
///
/// # Safety
/// `s` is NULL or points to a `compnet_surrogate` that is zeroed or was passed to `compnet_open`
/// (whose blob is still in place); `x` is NULL or points to `n_in` readable floats; `y` is NULL
/// or points to `n_out` writable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_eval(
    s: *const compnet_surrogate,
    x: *const f32,
    n_in: usize,
    y: *mut f32,
    n_out: usize,
) -> compnet_status {
    let run = || -> Result<(), compnet_status> {
        // SAFETY: forwarded from the caller.
        let view = unsafe { checked_view(s, n_in, n_out) }?;
        check_buffers(x, n_in, y, n_out)?;
        // SAFETY: non-null, aligned, disjoint buffers of the sizes the caller guarantees.
        let (xs, ys) = unsafe { (core::slice::from_raw_parts(x, n_in), core::slice::from_raw_parts_mut(y, n_out)) };
        eval_one(view, xs, ys).map_err(Into::into)
    };
    status_of(run())
}

/// The single-call kernel, instantiated once: the runtime inlines its layer loops, so every call
/// site of `eval::<W>` would otherwise carry its own copy (kilobytes of flash each on Cortex-M).
#[inline(never)]
fn eval_one(view: &SurrogateView<'_>, x: &[f32], y: &mut [f32]) -> Result<(), EvalError> {
    view.eval::<COMPNET_MAX_WIDTH>(x, y)
}

/// Tiles of [`compnet_runtime::kernel::TILE`] rows with a `W`-wide scratch; a frame of its own so
/// that only the instance called takes its stack.
#[cfg(feature = "std")]
#[inline(never)]
fn batch_tiled<const W: usize>(view: &SurrogateView<'_>, xs: &[f32], ys: &mut [f32]) -> Result<(), EvalError> {
    view.eval_batch::<W>(xs, ys)
}

/// One row at a time with the single-call scratch.
#[cfg(not(feature = "std"))]
#[inline(never)]
fn batch_rows(view: &SurrogateView<'_>, xs: &[f32], ys: &mut [f32]) -> Result<(), EvalError> {
    for (x, y) in xs.chunks_exact(view.n_in()).zip(ys.chunks_exact_mut(view.n_out())) {
        eval_one(view, x, y)?;
    }
    Ok(())
}

/// Evaluates `rows` input vectors stored row-major in `xs` (`rows * n_in` floats) into `ys`
/// (`rows * n_out` floats). Each row gives the same bits as `compnet_eval` on it. Stack: 2 KiB in
/// the bare-metal build (one row at a time) and, in the host build (tiles of 8 rows), for
/// surrogates up to 32 wide; 16 KiB for wider ones on the host.
///
/// # Safety
/// As `compnet_eval`, with `rows * n_in` readable floats at `xs` and `rows * n_out` writable
/// floats at `ys`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_eval_batch(
    s: *const compnet_surrogate,
    xs: *const f32,
    n_in: usize,
    ys: *mut f32,
    n_out: usize,
    rows: usize,
) -> compnet_status {
    let run = || -> Result<(), compnet_status> {
        // SAFETY: forwarded from the caller.
        let view = unsafe { checked_view(s, n_in, n_out) }?;
        let n_x = rows.checked_mul(n_in).ok_or(COMPNET_ERR_INPUT_LEN)?;
        let n_y = rows.checked_mul(n_out).ok_or(COMPNET_ERR_OUTPUT_LEN)?;
        check_buffers(xs, n_x, ys, n_y)?;
        // SAFETY: non-null, aligned, disjoint buffers of the sizes the caller guarantees.
        let (xs, ys) = unsafe { (core::slice::from_raw_parts(xs, n_x), core::slice::from_raw_parts_mut(ys, n_y)) };
        #[cfg(feature = "std")]
        let r = if view.max_width() <= SMALL_TILE_WIDTH {
            batch_tiled::<SMALL_TILE_WIDTH>(view, xs, ys)
        } else {
            batch_tiled::<COMPNET_MAX_WIDTH>(view, xs, ys)
        };
        #[cfg(not(feature = "std"))]
        let r = batch_rows(view, xs, ys);
        r.map_err(Into::into)
    };
    status_of(run())
}

/// The out-of-domain guard without evaluation: `COMPNET_OK` when every `x[i]` lies inside the
/// trained domain, `COMPNET_ERR_OUT_OF_DOMAIN` otherwise (NaN is outside), with the index of the
/// first such input written to `*bad_input` (which may be NULL; untouched on `COMPNET_OK`).
///
/// # Safety
/// As `compnet_eval` for `s` and `x`; `bad_input` is NULL or points to a writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_check_domain(
    s: *const compnet_surrogate,
    x: *const f32,
    n_in: usize,
    bad_input: *mut usize,
) -> compnet_status {
    let run = || -> Result<(), compnet_status> {
        // SAFETY: forwarded from the caller.
        let view = unsafe { view_of(s) }?;
        if n_in != view.n_in() {
            return Err(COMPNET_ERR_INPUT_LEN);
        }
        check_ptr(x)?;
        if !bad_input.is_null() && !bad_input.is_aligned() {
            return Err(COMPNET_ERR_MISALIGNED);
        }
        // SAFETY: non-null, aligned, `n_in` readable floats (caller); `n_in` is a blob width ≤ 4096.
        let xs = unsafe { core::slice::from_raw_parts(x, n_in) };
        match view.out_of_domain(xs) {
            None => Ok(()),
            Some(o) => {
                if !bad_input.is_null() {
                    // SAFETY: non-null, aligned, writable (caller).
                    unsafe { bad_input.write(o.input) };
                }
                Err(COMPNET_ERR_OUT_OF_DOMAIN)
            }
        }
    };
    status_of(run())
}

/// The guarded call: evaluates the surrogate when every input lies inside its trained domain,
/// otherwise calls `fallback(x, n_in, y, n_out, user)` (the original function) on the same
/// buffers. Writes the path that ran to `*path` (which may be NULL). Returns `COMPNET_OK` on
/// either path; an argument error (checked before anything runs, the width included) calls
/// nothing.
///
/// # Safety
/// As `compnet_eval`; `fallback` is NULL or a function safe to call with these buffers and
/// `user`; `path` is NULL or points to a writable `compnet_path`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn compnet_eval_or_fallback(
    s: *const compnet_surrogate,
    x: *const f32,
    n_in: usize,
    y: *mut f32,
    n_out: usize,
    fallback: compnet_fallback_fn,
    user: *mut c_void,
    path: *mut compnet_path,
) -> compnet_status {
    let run = || -> Result<(), compnet_status> {
        // SAFETY: forwarded from the caller.
        let view = unsafe { checked_view(s, n_in, n_out) }?;
        check_buffers(x, n_in, y, n_out)?;
        let fallback = fallback.ok_or(COMPNET_ERR_NULL_POINTER)?;
        if !path.is_null() && !path.is_aligned() {
            return Err(COMPNET_ERR_MISALIGNED);
        }
        // SAFETY: non-null, aligned, disjoint buffers of the sizes the caller guarantees.
        let (xs, ys) = unsafe { (core::slice::from_raw_parts(x, n_in), core::slice::from_raw_parts_mut(y, n_out)) };
        // `SurrogateView::eval_or_fallback`, with the shared `eval_one` (counts and width are
        // already checked, so the guard decides alone).
        let ran = match view.out_of_domain(xs) {
            None => eval_one(view, xs, ys).map(|()| compnet_path::COMPNET_PATH_SURROGATE)?,
            Some(_) => {
                // SAFETY: the caller vouches for `fallback` on these buffers and `user`.
                unsafe { fallback(xs.as_ptr(), n_in, ys.as_mut_ptr(), n_out, user) };
                compnet_path::COMPNET_PATH_FALLBACK
            }
        };
        if !path.is_null() {
            // SAFETY: non-null, aligned, writable (caller).
            unsafe { path.write(ran) };
        }
        Ok(())
    };
    status_of(run())
}
