//! The compile-time path: a surrogate whose widths and weights are constants known to the
//! compiler, for the fastest code on a fixed model.
//!
//! `compnet export --rust FILE.rs` writes a module of `static` arrays (typed `[[f32; I]; O]`) and
//! an `eval` function built from [`dense`] and [`affine`]; with every size a const generic the
//! compiler unrolls and vectorises the loops, and there is nothing to validate at run time.

use crate::Activation;

/// `y = act(W·x + b)` for an `O × I` layer with weights known at compile time.
#[inline(always)]
pub fn dense<const I: usize, const O: usize>(
    w: &[[f32; I]; O],
    b: &[f32; O],
    x: &[f32; I],
    act: Activation,
) -> [f32; O] {
    let mut y = [0.0f32; O];
    for ((yo, row), bo) in y.iter_mut().zip(w).zip(b) {
        let mut acc = *bo;
        for (wi, xi) in row.iter().zip(x) {
            acc += wi * xi;
        }
        *yo = act.apply(acc);
    }
    y
}

/// `v · scale + offset`, per element.
#[inline(always)]
pub fn affine<const N: usize>(v: &[f32; N], scale: &[f32; N], offset: &[f32; N]) -> [f32; N] {
    let mut out = [0.0f32; N];
    for (((o, v), s), a) in out.iter_mut().zip(v).zip(scale).zip(offset) {
        *o = v * s + a;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_affine_compute_the_definition() {
        let w = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]];
        let b = [0.5, -0.5];
        let y = dense(&w, &b, &[1.0, 1.0, 2.0], Activation::Identity);
        assert_eq!(y, [9.5, -0.5]);
        let y = dense(&w, &b, &[1.0, 1.0, 2.0], Activation::Relu);
        assert_eq!(y, [9.5, 0.0]);
        assert_eq!(affine(&[1.0, 2.0], &[2.0, 3.0], &[1.0, -1.0]), [3.0, 5.0]);
    }
}
