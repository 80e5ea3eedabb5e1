//! Affine normalisation of inputs and outputs, fitted on training data.

use compnet_runtime::Affine;

/// Per-column standardisation `v ↦ (v − mean) / std` fitted on row-major `data` of `width`
/// columns, returned as the [`Affine`] that applies it. Constant columns get scale 1.
pub fn standardiser(data: &[f32], width: usize) -> Affine {
    let n = (data.len() / width).max(1) as f64;
    let mut mean = vec![0.0f64; width];
    for row in data.chunks_exact(width) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0.0f64; width];
    for row in data.chunks_exact(width) {
        for ((s, &v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (v as f64 - m).powi(2);
        }
    }
    let std: Vec<f64> = var.iter().map(|s| (s / n).sqrt()).map(|s| if s > 1e-8 { s } else { 1.0 }).collect();
    Affine {
        scale: std.iter().map(|s| (1.0 / s) as f32).collect(),
        offset: mean.iter().zip(&std).map(|(m, s)| (-m / s) as f32).collect(),
    }
}

/// The inverse map of an affine normalisation (`v ↦ (v − offset) / scale`).
pub fn inverse(a: &Affine) -> Affine {
    Affine {
        scale: a.scale.iter().map(|s| 1.0 / s).collect(),
        offset: a.scale.iter().zip(&a.offset).map(|(s, o)| -o / s).collect(),
    }
}

/// Applies `a` to row-major `data` in place.
pub fn apply(a: &Affine, data: &mut [f32]) {
    let w = a.len();
    for row in data.chunks_exact_mut(w) {
        for ((v, s), o) in row.iter_mut().zip(&a.scale).zip(&a.offset) {
            *v = *v * s + o;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_and_inverts() {
        let data: Vec<f32> = (0..200).map(|i| if i % 2 == 0 { i as f32 * 0.5 + 3.0 } else { -7.0 }).collect();
        let a = standardiser(&data, 2);
        let mut z = data.clone();
        apply(&a, &mut z);
        let col0: Vec<f64> = z.chunks(2).map(|r| r[0] as f64).collect();
        let mean = col0.iter().sum::<f64>() / 100.0;
        let var = col0.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 100.0;
        assert!(mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4, "mean {mean} var {var}");
        assert!(z.chunks(2).all(|r| r[1] == 0.0), "constant column maps to 0");
        apply(&inverse(&a), &mut z);
        for (x, y) in z.iter().zip(&data) {
            assert!((x - y).abs() < 1e-4);
        }
    }
}
