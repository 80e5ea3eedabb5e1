//! The C ABI called as C calls it (raw pointers, counts, status codes), held against the Rust
//! runtime's `SurrogateView` on the same blobs.

mod common;

use common::{blobs, dense_surrogate, reseal, sobel_surrogate};
use compnet::compnet_status::{self, *};
use compnet::{
    COMPNET_MAX_WIDTH, compnet_check_domain, compnet_domain, compnet_eval, compnet_eval_batch,
    compnet_eval_or_fallback, compnet_max_width, compnet_n_in, compnet_n_out, compnet_name, compnet_open, compnet_path,
    compnet_signature, compnet_status_str, compnet_surrogate,
};
use compnet_runtime::SurrogateView;
use std::collections::BTreeSet;
use std::ffi::{CStr, c_char, c_void};
use std::ptr::{null, null_mut};

fn closed() -> compnet_surrogate {
    compnet_surrogate { opaque: [0; compnet::COMPNET_SURROGATE_WORDS] }
}

/// Opens `blob` (which must outlive the handle: every test keeps it in a local).
fn open(blob: &[u8]) -> compnet_surrogate {
    let mut s = closed();
    let st = unsafe { compnet_open(&mut s, blob.as_ptr(), blob.len()) };
    assert_eq!(st, COMPNET_OK, "{}", message(st as i32));
    s
}

fn message(code: i32) -> String {
    unsafe { CStr::from_ptr(compnet_status_str(code)) }.to_str().unwrap().to_owned()
}

fn eval(s: &compnet_surrogate, x: &[f32], y: &mut [f32]) -> compnet_status {
    unsafe { compnet_eval(s, x.as_ptr(), x.len(), y.as_mut_ptr(), y.len()) }
}

/// A fallback that writes `-(1000 + Σx)` and counts its calls in `user` (a `Vec<Vec<f32>>` of the
/// inputs it saw).
unsafe extern "C" fn recording_fallback(x: *const f32, n_in: usize, y: *mut f32, n_out: usize, user: *mut c_void) {
    let seen = unsafe { &mut *user.cast::<Vec<Vec<f32>>>() };
    let x = unsafe { std::slice::from_raw_parts(x, n_in) };
    seen.push(x.to_vec());
    let v = -(1000.0 + x.iter().sum::<f32>());
    unsafe { std::slice::from_raw_parts_mut(y, n_out) }.fill(v);
}

fn guarded(
    s: &compnet_surrogate,
    x: &[f32],
    y: &mut [f32],
    seen: &mut Vec<Vec<f32>>,
    path: *mut compnet_path,
) -> compnet_status {
    let user = (seen as *mut Vec<Vec<f32>>).cast::<c_void>();
    unsafe {
        compnet_eval_or_fallback(s, x.as_ptr(), x.len(), y.as_mut_ptr(), y.len(), Some(recording_fallback), user, path)
    }
}

/// Inputs spread over and beyond `[-1, 1]`, deterministic.
fn inputs(n_in: usize, rows: usize, spread: f32) -> Vec<f32> {
    (0..rows * n_in).map(|i| spread * ((i as f32 * 0.618_034).fract() * 2.0 - 1.0)).collect()
}

#[test]
fn eval_equals_the_runtime_bit_for_bit() {
    for widths in [&[3usize, 5, 2][..], &[9, 8, 1], &[4, 40, 33, 3], &[1, 256, 1], &[6, 6, 6, 6, 6, 6, 2]] {
        for blob in blobs(&dense_surrogate("dense", widths)) {
            let view = SurrogateView::parse(&blob).unwrap();
            let s = open(&blob);
            let (n_in, n_out) = (view.n_in(), view.n_out());
            assert_eq!(
                unsafe { (compnet_n_in(&s), compnet_n_out(&s), compnet_max_width(&s)) },
                (n_in, n_out, view.max_width())
            );
            for x in inputs(n_in, 50, 1.5).chunks(n_in) {
                let (mut want, mut got) = (vec![0.0f32; n_out], vec![f32::NAN; n_out]);
                view.eval::<512>(x, &mut want).unwrap();
                assert_eq!(eval(&s, x, &mut got), COMPNET_OK);
                assert_eq!(
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{widths:?} x = {x:?}"
                );
            }
        }
    }
}

#[test]
fn batch_equals_single_calls_bit_for_bit() {
    // Widths ≤ 32 take the small tiles; 40 and 256 the std build's wide tiles.
    for widths in [&[3usize, 5, 2][..], &[4, 40, 33, 3], &[2, 256, 2]] {
        for blob in blobs(&dense_surrogate("dense", widths)) {
            let view = SurrogateView::parse(&blob).unwrap();
            let s = open(&blob);
            let (n_in, n_out) = (view.n_in(), view.n_out());
            for rows in [0usize, 1, 7, 8, 9, 100] {
                let xs = inputs(n_in, rows, 2.0);
                let mut ys = vec![f32::NAN; rows * n_out];
                let st = unsafe { compnet_eval_batch(&s, xs.as_ptr(), n_in, ys.as_mut_ptr(), n_out, rows) };
                assert_eq!(st, COMPNET_OK);
                for (x, y) in xs.chunks(n_in).zip(ys.chunks(n_out)) {
                    let mut want = vec![0.0f32; n_out];
                    view.eval::<512>(x, &mut want).unwrap();
                    assert_eq!(
                        want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        "{widths:?}, {rows} rows"
                    );
                }
            }
        }
    }
}

#[test]
fn fallback_runs_exactly_for_inputs_outside_the_domain() {
    let blob = dense_surrogate("guarded", &[3, 6, 2]).to_blob(compnet_runtime::Precision::F32);
    let view = SurrogateView::parse(&blob).unwrap();
    let s = open(&blob);
    let mut xs = inputs(3, 200, 1.3); // domain is [-1, 1]: about a third of the values are outside
    xs[5] = f32::NAN;
    xs[7] = 1.0; // the bounds are inside
    xs[8] = -1.0;
    let (mut fell_back, mut on_surrogate) = (0, 0);
    for x in xs.chunks(3) {
        let mut seen = Vec::new();
        let mut y = [f32::NAN; 2];
        let mut path = compnet_path::COMPNET_PATH_SURROGATE;
        let mut bad = usize::MAX;
        let dom = unsafe { compnet_check_domain(&s, x.as_ptr(), 3, &mut bad) };
        assert_eq!(guarded(&s, x, &mut y, &mut seen, &mut path), COMPNET_OK);
        match view.out_of_domain(x) {
            Some(o) => {
                fell_back += 1;
                assert_eq!((dom, bad), (COMPNET_ERR_OUT_OF_DOMAIN, o.input));
                assert_eq!(path, compnet_path::COMPNET_PATH_FALLBACK);
                assert_eq!(seen.len(), 1, "fallback called once for {x:?}");
                assert_eq!(
                    seen[0].iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    x.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                );
                let v = -(1000.0 + x.iter().sum::<f32>());
                assert!(y.iter().all(|&yo| yo.to_bits() == v.to_bits()), "{y:?}");
            }
            None => {
                on_surrogate += 1;
                assert_eq!((dom, bad), (COMPNET_OK, usize::MAX), "bad_input untouched when inside");
                assert_eq!(path, compnet_path::COMPNET_PATH_SURROGATE);
                assert!(seen.is_empty(), "fallback not called for {x:?}");
                let mut want = [0.0f32; 2];
                view.eval::<16>(x, &mut want).unwrap();
                assert_eq!(want.map(f32::to_bits), y.map(f32::to_bits));
            }
        }
        // The path pointer is optional.
        assert_eq!(guarded(&s, x, &mut y, &mut seen, null_mut()), COMPNET_OK);
        assert_eq!(unsafe { compnet_check_domain(&s, x.as_ptr(), 3, null_mut()) }, dom);
    }
    assert!(fell_back > 20 && on_surrogate > 20, "{fell_back} fallbacks, {on_surrogate} surrogate calls");
}

#[test]
fn metadata_and_domain_through_the_abi() {
    let blob = sobel_surrogate(0.9).to_blob(compnet_runtime::Precision::F16);
    let s = open(&blob);
    let mut buf = [0 as c_char; 128];
    assert_eq!(unsafe { compnet_name(&s, buf.as_mut_ptr(), buf.len()) }, COMPNET_OK);
    assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), "sobel");
    assert_eq!(unsafe { compnet_signature(&s, buf.as_mut_ptr(), buf.len()) }, COMPNET_OK);
    assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), common::SOBEL_SIGNATURE);
    let (mut lo, mut hi) = (f32::NAN, f32::NAN);
    assert_eq!(unsafe { compnet_domain(&s, 8, &mut lo, &mut hi) }, COMPNET_OK);
    assert_eq!((lo, hi), (0.0, 0.9));
    // A copied handle is as good as the original (it holds no pointer into itself).
    let copy = s;
    let x = [0.1f32, 0.12, 0.14, 0.1, 0.13, 0.15, 0.11, 0.12, 0.16];
    let (mut a, mut b) = ([0.0f32], [1.0f32]);
    assert_eq!((eval(&s, &x, &mut a), eval(&copy, &x, &mut b)), (COMPNET_OK, COMPNET_OK));
    assert_eq!(a[0].to_bits(), b[0].to_bits());
    // The hand-made surrogate does approximate sobel (≈ ±4 % before f16 rounding).
    let want = common::sobel_reference(&x);
    assert!((a[0] - want).abs() < 0.06 * want, "surrogate {} vs sobel {want}", a[0]);
}

#[test]
fn name_truncates_at_a_character_boundary() {
    let mut sur = dense_surrogate("sobél", &[2, 2]);
    sur.meta.name = "sobél".into(); // 'é' is bytes 3..5
    let blob = sur.to_blob(compnet_runtime::Precision::F32);
    let s = open(&blob);
    for (cap, text, status) in [
        (7, "sobél", COMPNET_OK),
        (6, "sobé", COMPNET_ERR_BUFFER_TOO_SMALL),
        (5, "sob", COMPNET_ERR_BUFFER_TOO_SMALL),
        (4, "sob", COMPNET_ERR_BUFFER_TOO_SMALL),
        (1, "", COMPNET_ERR_BUFFER_TOO_SMALL),
    ] {
        let mut buf = [0x55 as c_char; 8];
        assert_eq!(unsafe { compnet_name(&s, buf.as_mut_ptr(), cap) }, status, "cap {cap}");
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), text, "cap {cap}");
        assert!(buf[cap..].iter().all(|&c| c == 0x55), "wrote past cap {cap}");
    }
    let mut buf = [0x55 as c_char; 1];
    assert_eq!(unsafe { compnet_name(&s, buf.as_mut_ptr(), 0) }, COMPNET_ERR_BUFFER_TOO_SMALL);
    assert_eq!(buf[0], 0x55, "cap 0 writes nothing");
}

#[test]
fn every_blob_error_is_its_own_status() {
    let good = sobel_surrogate(0.9).to_blob(compnet_runtime::Precision::F32);
    let n_layers = 2usize;
    let act_off = 32 + (2 * (n_layers + 1)).div_ceil(4) * 4; // after the widths, 4-aligned
    let name_off = act_off + 4;
    type Corrupt = fn(&mut Vec<u8>, usize, usize);
    let cases: [(&str, Corrupt, compnet_status); 11] = [
        ("truncated", |b, _, _| b.truncate(20), COMPNET_ERR_BLOB_TRUNCATED),
        ("bad magic", |b, _, _| b[0] = b'X', COMPNET_ERR_BLOB_BAD_MAGIC),
        ("version 2", |b, _, _| b[4] = 2, COMPNET_ERR_BLOB_UNSUPPORTED_VERSION),
        ("flag bit 3", |b, _, _| b[6] = 8, COMPNET_ERR_BLOB_UNKNOWN_FLAGS),
        ("0 layers", |b, _, _| b[8..10].fill(0), COMPNET_ERR_BLOB_BAD_LAYER_COUNT),
        ("width 0", |b, _, _| b[34..36].fill(0), COMPNET_ERR_BLOB_BAD_WIDTH),
        (
            "activation 9",
            |b, act, _| {
                b[act] = 9;
                reseal(b)
            },
            COMPNET_ERR_BLOB_BAD_ACTIVATION,
        ),
        (
            "name not UTF-8",
            |b, _, name| {
                b[name] = 0xff;
                reseal(b)
            },
            COMPNET_ERR_BLOB_BAD_TEXT,
        ),
        ("one byte too many", |b, _, _| b.push(0), COMPNET_ERR_BLOB_LENGTH_MISMATCH),
        (
            "flipped weight bit",
            |b, _, _| {
                let n = b.len();
                b[n - 8] ^= 1
            },
            COMPNET_ERR_BLOB_BAD_CRC,
        ),
        ("reserved", |b, _, _| b[14] = 1, COMPNET_ERR_BLOB_NONZERO_RESERVED),
    ];
    for (what, corrupt, expected) in cases {
        let mut blob = good.clone();
        corrupt(&mut blob, act_off, name_off);
        let runtime = compnet_status::from(SurrogateView::parse(&blob).expect_err(what));
        assert_eq!(runtime, expected, "{what}: the runtime's error maps to this status");
        let mut s = open(&good);
        let st = unsafe { compnet_open(&mut s, blob.as_ptr(), blob.len()) };
        assert_eq!(st, expected, "{what}: {}", message(st as i32));
        // A failed open leaves the handle closed, even one that was open before.
        assert_eq!(eval(&s, &[0.0; 9], &mut [0.0]), COMPNET_ERR_NOT_OPEN, "{what}");
    }
}

#[test]
fn every_status_code_is_reachable_and_described() {
    let mut reached = BTreeSet::new();
    let mut expect = |what: &str, got: compnet_status, want: compnet_status| {
        assert_eq!(got, want, "{what}: {}", message(got as i32));
        reached.insert(got as i32);
    };
    let blob = dense_surrogate("d", &[3, 4, 2]).to_blob(compnet_runtime::Precision::F32);
    let s = open(&blob);
    let (x, mut y) = ([0.5f32; 3], [0.0f32; 2]);
    let (xp, yp) = (x.as_ptr(), y.as_mut_ptr());
    let mut seen = Vec::new();
    let user = (&mut seen as *mut Vec<Vec<f32>>).cast::<c_void>();
    let fb = Some(recording_fallback as unsafe extern "C" fn(*const f32, usize, *mut f32, usize, *mut c_void));
    unsafe {
        expect("ok", compnet_eval(&s, xp, 3, yp, 2), COMPNET_OK);
        // NULL pointers, everywhere one is taken.
        expect("open: NULL handle", compnet_open(null_mut(), blob.as_ptr(), blob.len()), COMPNET_ERR_NULL_POINTER);
        let mut t = closed();
        expect("open: NULL blob", compnet_open(&mut t, null(), 10), COMPNET_ERR_NULL_POINTER);
        expect("eval: NULL handle", compnet_eval(null(), xp, 3, yp, 2), COMPNET_ERR_NULL_POINTER);
        expect("eval: NULL x", compnet_eval(&s, null(), 3, yp, 2), COMPNET_ERR_NULL_POINTER);
        expect("eval: NULL y", compnet_eval(&s, xp, 3, null_mut(), 2), COMPNET_ERR_NULL_POINTER);
        expect("batch: NULL xs", compnet_eval_batch(&s, null(), 3, yp, 2, 1), COMPNET_ERR_NULL_POINTER);
        expect("batch: NULL ys", compnet_eval_batch(&s, xp, 3, null_mut(), 2, 1), COMPNET_ERR_NULL_POINTER);
        expect("domain check: NULL x", compnet_check_domain(&s, null(), 3, null_mut()), COMPNET_ERR_NULL_POINTER);
        expect(
            "guard: NULL fallback",
            compnet_eval_or_fallback(&s, xp, 3, yp, 2, None, user, null_mut()),
            COMPNET_ERR_NULL_POINTER,
        );
        expect(
            "guard: NULL y",
            compnet_eval_or_fallback(&s, xp, 3, null_mut(), 2, fb, user, null_mut()),
            COMPNET_ERR_NULL_POINTER,
        );
        expect("name: NULL buf", compnet_name(&s, null_mut(), 8), COMPNET_ERR_NULL_POINTER);
        expect("signature: NULL handle", compnet_signature(null(), null_mut(), 8), COMPNET_ERR_NULL_POINTER);
        expect("domain: NULL lo", compnet_domain(&s, 0, null_mut(), &mut 0.0), COMPNET_ERR_NULL_POINTER);
        assert_eq!((compnet_n_in(null()), compnet_n_out(null()), compnet_max_width(null())), (0, 0, 0));
        // Misaligned pointers.
        let mut words = [0u64; compnet::COMPNET_SURROGATE_WORDS + 1];
        let skewed = words.as_mut_ptr().cast::<u8>().add(4).cast::<compnet_surrogate>();
        expect("open: misaligned handle", compnet_open(skewed, blob.as_ptr(), blob.len()), COMPNET_ERR_MISALIGNED);
        assert_eq!(words, [0; compnet::COMPNET_SURROGATE_WORDS + 1], "nothing written through a misaligned handle");
        let bytes = [0u32; 8];
        let skewed_x = bytes.as_ptr().cast::<u8>().add(2).cast::<f32>();
        expect("eval: misaligned x", compnet_eval(&s, skewed_x, 3, yp, 2), COMPNET_ERR_MISALIGNED);
        let mut bad = [0usize; 2];
        let skewed_bad = bad.as_mut_ptr().cast::<u8>().add(1).cast::<usize>();
        expect(
            "domain check: misaligned bad_input",
            compnet_check_domain(&s, xp, 3, skewed_bad),
            COMPNET_ERR_MISALIGNED,
        );
        let mut paths = [0u32; 2];
        let skewed_path = paths.as_mut_ptr().cast::<u8>().add(2).cast::<compnet_path>();
        expect(
            "guard: misaligned path",
            compnet_eval_or_fallback(&s, xp, 3, yp, 2, fb, user, skewed_path),
            COMPNET_ERR_MISALIGNED,
        );
        // Handles that are not open.
        let zeroed = closed();
        expect("eval: zeroed handle", compnet_eval(&zeroed, xp, 3, yp, 2), COMPNET_ERR_NOT_OPEN);
        expect("name: zeroed handle", compnet_name(&zeroed, [0 as c_char; 4].as_mut_ptr(), 4), COMPNET_ERR_NOT_OPEN);
        assert_eq!(compnet_n_in(&zeroed), 0);
        // Blob errors (each kind: see every_blob_error_is_its_own_status); here the shortest ones.
        for (b, want) in [(&b"CPN\0"[..], COMPNET_ERR_BLOB_TRUNCATED), (&[b'X'; 64][..], COMPNET_ERR_BLOB_BAD_MAGIC)] {
            expect("open: bad bytes", compnet_open(&mut t, b.as_ptr(), b.len()), want);
        }
        for (what, corrupt, want) in [
            ("version", 4usize, COMPNET_ERR_BLOB_UNSUPPORTED_VERSION),
            ("flags", 6, COMPNET_ERR_BLOB_UNKNOWN_FLAGS),
            ("layers", 8, COMPNET_ERR_BLOB_BAD_LAYER_COUNT),
            ("reserved", 14, COMPNET_ERR_BLOB_NONZERO_RESERVED),
            ("width", 33, COMPNET_ERR_BLOB_BAD_WIDTH),
        ] {
            let mut b = blob.clone();
            b[corrupt] = 0x7f;
            expect(what, compnet_open(&mut t, b.as_ptr(), b.len()), want);
        }
        let mut b = blob.clone();
        b[40] = 200; // the first activation code (widths: 3 × u16 padded to 8 bytes)
        reseal(&mut b);
        expect("activation", compnet_open(&mut t, b.as_ptr(), b.len()), COMPNET_ERR_BLOB_BAD_ACTIVATION);
        let mut b = blob.clone();
        b[44] = 0xc3; // the name "d" becomes a lone UTF-8 lead byte
        reseal(&mut b);
        expect("text", compnet_open(&mut t, b.as_ptr(), b.len()), COMPNET_ERR_BLOB_BAD_TEXT);
        expect("length", compnet_open(&mut t, blob.as_ptr(), blob.len() - 1), COMPNET_ERR_BLOB_LENGTH_MISMATCH);
        let mut b = blob.clone();
        b[60] ^= 0x10;
        expect("crc", compnet_open(&mut t, b.as_ptr(), b.len()), COMPNET_ERR_BLOB_BAD_CRC);
        // Wrong counts.
        expect("eval: n_in", compnet_eval(&s, xp, 2, yp, 2), COMPNET_ERR_INPUT_LEN);
        expect("eval: n_out", compnet_eval(&s, xp, 3, yp, 1), COMPNET_ERR_OUTPUT_LEN);
        expect("batch: n_in", compnet_eval_batch(&s, xp, 4, yp, 2, 1), COMPNET_ERR_INPUT_LEN);
        expect("batch: n_out", compnet_eval_batch(&s, xp, 3, yp, 3, 1), COMPNET_ERR_OUTPUT_LEN);
        expect("batch: rows overflow", compnet_eval_batch(&s, xp, 3, yp, 2, usize::MAX / 2), COMPNET_ERR_INPUT_LEN);
        expect("domain check: n_in", compnet_check_domain(&s, xp, 4, null_mut()), COMPNET_ERR_INPUT_LEN);
        expect(
            "guard: n_out",
            compnet_eval_or_fallback(&s, xp, 3, yp, 0, fb, user, null_mut()),
            COMPNET_ERR_OUTPUT_LEN,
        );
        // Too wide for the library's scratch: refused by every evaluating call, before any fallback.
        let wide_blob =
            dense_surrogate("wide", &[2, COMPNET_MAX_WIDTH + 1, 1]).to_blob(compnet_runtime::Precision::F16);
        let wide = open(&wide_blob);
        assert_eq!(compnet_max_width(&wide), COMPNET_MAX_WIDTH + 1);
        let (x2, mut y1) = ([5.0f32; 2], [0.0f32]);
        expect("eval: too wide", compnet_eval(&wide, x2.as_ptr(), 2, y1.as_mut_ptr(), 1), COMPNET_ERR_WIDTH_EXCEEDED);
        expect(
            "batch: too wide",
            compnet_eval_batch(&wide, x2.as_ptr(), 2, y1.as_mut_ptr(), 1, 1),
            COMPNET_ERR_WIDTH_EXCEEDED,
        );
        expect(
            "guard: too wide",
            compnet_eval_or_fallback(&wide, x2.as_ptr(), 2, y1.as_mut_ptr(), 1, fb, user, null_mut()),
            COMPNET_ERR_WIDTH_EXCEEDED,
        );
        assert!(seen.is_empty(), "no fallback call on an argument error");
        // Out of domain.
        let outside = [0.5f32, 3.0, f32::NAN];
        let mut bad_input = 99usize;
        expect(
            "domain check",
            compnet_check_domain(&s, outside.as_ptr(), 3, &mut bad_input),
            COMPNET_ERR_OUT_OF_DOMAIN,
        );
        assert_eq!(bad_input, 1);
        // Text buffer, index, overlap.
        let mut small = [0 as c_char; 1];
        expect("name: cap 1", compnet_name(&s, small.as_mut_ptr(), 1), COMPNET_ERR_BUFFER_TOO_SMALL);
        expect("domain: index n_in", compnet_domain(&s, 3, &mut 0.0, &mut 0.0), COMPNET_ERR_INDEX);
        let mut buf = [0.0f32; 5];
        let p = buf.as_mut_ptr();
        expect("eval: y inside x", compnet_eval(&s, p, 3, p.add(2), 2), COMPNET_ERR_OVERLAP);
        expect("eval: in place", compnet_eval(&s, p, 3, p, 2), COMPNET_ERR_OVERLAP);
        expect("eval: adjacent is fine", compnet_eval(&s, p, 3, p.add(3), 2), COMPNET_OK);
        let mut rows = [0.0f32; 12];
        let r = rows.as_mut_ptr();
        expect("batch: overlap", compnet_eval_batch(&s, r, 3, r.add(5), 2, 2), COMPNET_ERR_OVERLAP);
        expect(
            "guard: overlap",
            compnet_eval_or_fallback(&s, p, 3, p.add(1), 2, fb, user, null_mut()),
            COMPNET_ERR_OVERLAP,
        );
    }
    let all: BTreeSet<i32> = (-100..1000).filter_map(compnet_status::from_code).map(|s| s as i32).collect();
    assert_eq!(all.len(), 22, "a status was added: add it to status.rs's ALL and reach it here");
    assert_eq!(reached, all, "statuses never reached: {:?}", all.difference(&reached).collect::<Vec<_>>());
    let messages: BTreeSet<String> = all.iter().map(|&c| message(c)).collect();
    assert_eq!(messages.len(), all.len(), "every status has its own message");
    assert_eq!(message(0), "ok");
    assert_eq!(message(4), "unknown status code");
    assert_eq!(message(-1), "unknown status code");
}
