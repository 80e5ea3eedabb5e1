//! A measurement aid, not an engine: the runtime's single-call kernel (`SurrogateView::eval` in
//! `edge-runtime/src/kernel.rs`) restructured as proposed to the runtime, written against the
//! view's public accessors so the bench can count what the changes save. Same operations in the
//! same order as the runtime's kernel (the bench checks the results are bit-identical); f32 blobs.
//!
//! The changes (docs/firmware.md gives the instruction counts with and without them):
//! 1. normalisation reads its section as one pre-sliced `&[u8]` walked by `chunks_exact(4)`, not
//!    one bounds-checked `f32_at(bytes, off)` (with its out-of-bounds fallback) per value;
//! 2. per-layer offsets, widths and activations come from a table made once (at parse time in
//!    the runtime), not from bounds-checked reads of the width list per layer;
//! 3. the widest layer is known from parse time (no `max_width()` walk per call);
//! 4. the two scratch buffers swap as references, not by copying `W` floats per layer;
//! 5. (`ALIGNED`) on a little-endian target, a 4-aligned blob's weights are read as `&[f32]` in
//!    place (`align_to`, or `bytemuck::try_cast_slice`), so the multiply-accumulate loads with
//!    `vldmia` instead of an unaligned-capable `ldr` + `vmov`.

use compnet_runtime::{Activation, SurrogateView};

const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// One layer as the kernel needs it.
#[derive(Debug, Clone, Copy)]
struct LayerPlan {
    n_in: usize,
    n_out: usize,
    weights: usize,
    act: Activation,
}

/// What the view would keep from parse time: section offsets, the widest layer, a layer table.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    input_norm: usize,
    output_norm: usize,
    max_width: usize,
    n_layers: usize,
    layers: [LayerPlan; 4],
}

impl Plan {
    /// The plan of a validated f32 view with at most 4 layers (docs/blob-format.md).
    pub fn of(view: &SurrogateView<'_>) -> Self {
        let b = view.bytes();
        let l = view.n_layers().min(4);
        let name_len = u16::from_le_bytes([b[10], b[11]]) as usize;
        let sig_len = u16::from_le_bytes([b[12], b[13]]) as usize;
        let domain = 32 + pad4(2 * (view.n_layers() + 1)) + pad4(view.n_layers()) + pad4(name_len) + pad4(sig_len);
        let input_norm = domain + 8 * view.n_in();
        let output_norm = input_norm + 8 * view.n_in();
        let mut off = output_norm + 8 * view.n_out();
        let mut layers = [LayerPlan { n_in: 0, n_out: 0, weights: 0, act: Activation::Identity }; 4];
        for (k, lp) in layers.iter_mut().enumerate().take(l) {
            let (i, o) = (view.width(k), view.width(k + 1));
            *lp = LayerPlan { n_in: i, n_out: o, weights: off, act: view.activation(k) };
            off += pad4(4 * (i * o + o));
        }
        Self { input_norm, output_norm, max_width: view.max_width(), n_layers: l, layers }
    }
}

#[inline(always)]
fn load(c: &[u8]) -> f32 {
    f32::from_le_bytes([c[0], c[1], c[2], c[3]])
}

/// `SurrogateView::eval` with the changes above (`ALIGNED`: also change 5).
#[inline(never)]
pub fn eval<const W: usize, const ALIGNED: bool>(
    view: &SurrogateView<'_>,
    p: &Plan,
    x: &[f32],
    y: &mut [f32],
) -> Result<(), ()> {
    let n_in = p.layers[0].n_in;
    let n_out = p.layers[p.n_layers - 1].n_out;
    if x.len() != n_in || y.len() != n_out || p.max_width > W {
        return Err(());
    }
    let bytes = view.bytes();
    let (mut a, mut h) = ([0.0f32; W], [0.0f32; W]);
    let (mut cur, mut next) = (&mut a, &mut h);
    let (scale, offset) = bytes[p.input_norm..p.input_norm + 8 * n_in].split_at(4 * n_in);
    for ((ai, &xi), (s, o)) in cur.iter_mut().zip(x).zip(scale.chunks_exact(4).zip(offset.chunks_exact(4))) {
        *ai = xi * load(s) + load(o);
    }
    for l in &p.layers[..p.n_layers] {
        let (wb, bb) = (4 * l.n_in * l.n_out, 4 * l.n_out);
        let (w, b) = bytes[l.weights..l.weights + wb + bb].split_at(wb);
        let xs = &cur[..l.n_in];
        // 5. On a little-endian target, a 4-aligned blob's weights are f32s in place.
        // SAFETY: every bit pattern is a valid f32; align_to only yields whole aligned f32s.
        let (pre, wf, _) = unsafe { w.align_to::<f32>() };
        if ALIGNED && pre.is_empty() && wf.len() == l.n_in * l.n_out {
            for ((yo, row), bias) in next[..l.n_out].iter_mut().zip(wf.chunks_exact(l.n_in)).zip(b.chunks_exact(4)) {
                let mut acc = load(bias);
                for (wi, &xi) in row.iter().zip(xs) {
                    acc += wi * xi;
                }
                *yo = acc;
            }
        } else {
            for ((yo, row), bias) in next[..l.n_out].iter_mut().zip(w.chunks_exact(4 * l.n_in)).zip(b.chunks_exact(4)) {
                let mut acc = load(bias);
                for (wi, &xi) in row.chunks_exact(4).zip(xs) {
                    acc += load(wi) * xi;
                }
                *yo = acc;
            }
        }
        l.act.apply_all(&mut next[..l.n_out]);
        core::mem::swap(&mut cur, &mut next);
    }
    let (scale, offset) = bytes[p.output_norm..p.output_norm + 8 * n_out].split_at(4 * n_out);
    for ((yo, &ao), (s, o)) in y.iter_mut().zip(cur.iter()).zip(scale.chunks_exact(4).zip(offset.chunks_exact(4))) {
        *yo = ao * load(s) + load(o);
    }
    Ok(())
}
