//! Independent Rust reimplementations of the six ParrotBench programs.
//!
//! Each computes in `f64` from the `f32` inputs and rounds the result to `f32` once, and each is
//! written differently from its C original where that makes the check stronger: inversek2j takes θ1
//! from a difference of `atan2`s (the C uses `asin`), jmeint tests the six edge–triangle crossings
//! with signed volumes (the C uses Möller's interval overlap), and jpeg computes the DCT separably
//! (the C sums the 2-D basis directly).
//!
//! Every function has the shape `fn(inputs, outputs)` of [`ParrotProgram::reference`](super::ParrotProgram).

use std::f64::consts::PI;

/// Link lengths of inversek2j's arm.
pub const ARM_LINKS: (f64, f64) = (0.5, 0.5);
/// sobel's clamp: gradient magnitudes above this are reported as this (√½ rounded to 4 digits, as the
/// C source writes it; deliberately not `FRAC_1_SQRT_2`).
#[allow(clippy::approx_constant)]
pub const SOBEL_MAX: f32 = 0.7071;
/// jmeint's outputs `(out_yes, out_no)` when the triangles intersect; swapped when they do not.
pub const JMEINT_YES: [f32; 2] = [0.8, 0.2];

/// The standard JPEG luminance quantisation table (ITU T.81 Annex K, quality 50), row-major.
pub const JPEG_LUMINANCE_QUANT: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, //
    12, 12, 14, 19, 26, 58, 60, 55, //
    14, 13, 16, 24, 40, 57, 69, 56, //
    14, 17, 22, 29, 51, 87, 80, 62, //
    18, 22, 37, 56, 68, 109, 103, 77, //
    24, 35, 55, 64, 81, 104, 113, 92, //
    49, 64, 78, 87, 103, 121, 120, 101, //
    72, 92, 95, 98, 112, 100, 103, 99, //
];

/// fft: `[sin(−2πx), cos(−2πx)]`.
pub fn fft(x: &[f32], y: &mut [f32]) {
    let (s, c) = (-2.0 * PI * f64::from(x[0])).sin_cos();
    y[0] = s as f32;
    y[1] = c as f32;
}

/// inversek2j: `(x, y)` of the arm's tip → `[θ1, θ2]`.
pub fn inversek2j(x: &[f32], y: &mut [f32]) {
    let (l1, l2) = ARM_LINKS;
    let (px, py) = (f64::from(x[0]), f64::from(x[1]));
    let cos_t2 = ((px * px + py * py - l1 * l1 - l2 * l2) / (2.0 * l1 * l2)).clamp(-1.0, 1.0);
    let t2 = cos_t2.acos();
    let t1 = py.atan2(px) - (l2 * t2.sin()).atan2(l1 + l2 * cos_t2);
    y[0] = t1 as f32;
    y[1] = t2 as f32;
}

/// Forward kinematics of inversek2j's arm: joint angles → `(x, y)` of the tip.
pub fn forward_kinematics(theta1: f64, theta2: f64) -> (f64, f64) {
    let (l1, l2) = ARM_LINKS;
    (l1 * theta1.cos() + l2 * (theta1 + theta2).cos(), l1 * theta1.sin() + l2 * (theta1 + theta2).sin())
}

/// kmeans: Euclidean distance between `(r, g, b)` and `(cr, cg, cb)`.
pub fn kmeans(x: &[f32], y: &mut [f32]) {
    let d2: f64 = (0..3).map(|k| (f64::from(x[k]) - f64::from(x[k + 3])).powi(2)).sum();
    y[0] = d2.sqrt() as f32;
}

/// sobel: clamped gradient magnitude of a row-major 3×3 window.
pub fn sobel(x: &[f32], y: &mut [f32]) {
    const KX: [f64; 9] = [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0];
    const KY: [f64; 9] = [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0];
    let gx: f64 = KX.iter().zip(x).map(|(k, &p)| k * f64::from(p)).sum();
    let gy: f64 = KY.iter().zip(x).map(|(k, &p)| k * f64::from(p)).sum();
    y[0] = (gx.hypot(gy) as f32).min(SOBEL_MAX);
}

/// jmeint: 18 coordinates (triangle v, then triangle u) → `[0.8, 0.2]` if they intersect, else `[0.2, 0.8]`.
pub fn jmeint(x: &[f32], y: &mut [f32]) {
    let (v, u) = jmeint_triangles(x);
    let hit = triangles_intersect(&v, &u);
    y[0] = if hit { JMEINT_YES[0] } else { JMEINT_YES[1] };
    y[1] = if hit { JMEINT_YES[1] } else { JMEINT_YES[0] };
}

/// A triangle in 3-D.
pub type Triangle = [[f64; 3]; 3];

/// The two triangles of a jmeint input.
pub fn jmeint_triangles(x: &[f32]) -> (Triangle, Triangle) {
    let vertex = |k: usize| [f64::from(x[3 * k]), f64::from(x[3 * k + 1]), f64::from(x[3 * k + 2])];
    ([vertex(0), vertex(1), vertex(2)], [vertex(3), vertex(4), vertex(5)])
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Six times the signed volume of the tetrahedron `(a, b, c, d)`.
fn orient3d(a: [f64; 3], b: [f64; 3], c: [f64; 3], d: [f64; 3]) -> f64 {
    let (ab, ac, ad) = (sub(b, a), sub(c, a), sub(d, a));
    ab[0] * (ac[1] * ad[2] - ac[2] * ad[1]) - ab[1] * (ac[0] * ad[2] - ac[2] * ad[0])
        + ab[2] * (ac[0] * ad[1] - ac[1] * ad[0])
}

fn same_sign(v: &[f64]) -> bool {
    v.iter().all(|&s| s >= 0.0) || v.iter().all(|&s| s <= 0.0)
}

/// Does segment `p–q` meet triangle `t` (which it does not lie in the plane of)?
fn segment_meets_triangle(p: [f64; 3], q: [f64; 3], t: &Triangle) -> bool {
    let (sp, sq) = (orient3d(t[0], t[1], t[2], p), orient3d(t[0], t[1], t[2], q));
    if sp * sq > 0.0 || (sp == 0.0 && sq == 0.0) {
        return false;
    }
    same_sign(&[orient3d(p, q, t[0], t[1]), orient3d(p, q, t[1], t[2]), orient3d(p, q, t[2], t[0])])
}

/// Do two triangles intersect (touching counts)? Non-coplanar triangles meet exactly when an edge of
/// one meets the other; coplanar ones are separated in 2-D by an edge normal or not at all.
pub fn triangles_intersect(v: &Triangle, u: &Triangle) -> bool {
    if u.iter().all(|&p| orient3d(v[0], v[1], v[2], p) == 0.0) {
        return coplanar_overlap(v, u);
    }
    (0..3).any(|i| segment_meets_triangle(v[i], v[(i + 1) % 3], u))
        || (0..3).any(|i| segment_meets_triangle(u[i], u[(i + 1) % 3], v))
}

/// Separating-axis test of two coplanar triangles, projected on the plane's dominant axes.
fn coplanar_overlap(v: &Triangle, u: &Triangle) -> bool {
    let n = {
        let (a, b) = (sub(v[1], v[0]), sub(v[2], v[0]));
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    };
    let drop = (0..3).max_by(|&i, &j| n[i].abs().total_cmp(&n[j].abs()).then(j.cmp(&i))).unwrap_or(0);
    let (i0, i1) = match drop {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    };
    let flat = |t: &Triangle| t.map(|p| [p[i0], p[i1]]);
    let (a, b) = (flat(v), flat(u));
    for tri in [&a, &b] {
        for k in 0..3 {
            let (p, q) = (tri[k], tri[(k + 1) % 3]);
            let axis = [q[1] - p[1], p[0] - q[0]];
            let project = |t: &[[f64; 2]; 3]| {
                let d = t.map(|r| r[0] * axis[0] + r[1] * axis[1]);
                (d[0].min(d[1]).min(d[2]), d[0].max(d[1]).max(d[2]))
            };
            let ((lo_a, hi_a), (lo_b, hi_b)) = (project(&a), project(&b));
            if hi_a < lo_b || hi_b < lo_a {
                return false;
            }
        }
    }
    true
}

/// The orthonormal 1-D DCT-II basis: `basis[k][x] = c(k) cos((2x + 1) k π / 16)`.
fn dct_basis() -> [[f64; 8]; 8] {
    let mut b = [[0.0; 8]; 8];
    for (k, row) in b.iter_mut().enumerate() {
        let scale = if k == 0 { (1.0f64 / 8.0).sqrt() } else { (2.0f64 / 8.0).sqrt() };
        for (x, v) in row.iter_mut().enumerate() {
            *v = scale * ((2 * x + 1) as f64 * k as f64 * PI / 16.0).cos();
        }
    }
    b
}

/// The level-shifted 2-D DCT-II of a block of pixels scaled by 1/256, unquantised, row-major `[u][v]`.
pub fn jpeg_dct(pixels: &[f32]) -> [f64; 64] {
    let b = dct_basis();
    let mut rows = [0.0; 64]; // rows[y][v]: 1-D DCT along each row
    for y in 0..8 {
        for v in 0..8 {
            rows[8 * y + v] = (0..8).map(|x| b[v][x] * (f64::from(pixels[8 * y + x]) * 256.0 - 128.0)).sum();
        }
    }
    let mut d = [0.0; 64];
    for u in 0..8 {
        for v in 0..8 {
            d[8 * u + v] = (0..8).map(|y| b[u][y] * rows[8 * y + v]).sum();
        }
    }
    d
}

/// jpeg: 64 pixels / 256 → 64 dequantised DCT coefficients / 256.
pub fn jpeg(x: &[f32], y: &mut [f32]) {
    let d = jpeg_dct(x);
    for ((out, dk), q) in y.iter_mut().zip(d).zip(JPEG_LUMINANCE_QUANT) {
        let q = f64::from(q);
        *out = ((dk / q).round() * q / 256.0) as f32;
    }
}

/// Decodes jpeg's output: coefficients / 256 → inverse DCT → +128 → rounded and clamped to `[0, 255]`;
/// row-major 8×8 pixel values.
pub fn jpeg_decode(coefficients: &[f32]) -> [f64; 64] {
    let b = dct_basis();
    let mut cols = [0.0; 64]; // cols[y][v]: inverse along u
    for y in 0..8 {
        for v in 0..8 {
            cols[8 * y + v] = (0..8).map(|u| b[u][y] * f64::from(coefficients[8 * u + v]) * 256.0).sum();
        }
    }
    let mut p = [0.0; 64];
    for y in 0..8 {
        for x in 0..8 {
            let s: f64 = (0..8).map(|v| b[v][x] * cols[8 * y + v]).sum();
            p[8 * y + x] = (s + 128.0).round().clamp(0.0, 255.0);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_and_inversek2j_known_values() {
        let mut y = [0.0; 2];
        fft(&[0.25], &mut y);
        assert!((y[0] + 1.0).abs() < 1e-7 && y[1].abs() < 1e-7, "{y:?}");
        let (px, py) = forward_kinematics(0.3, 1.1);
        inversek2j(&[px as f32, py as f32], &mut y);
        assert!((y[0] - 0.3).abs() < 1e-5 && (y[1] - 1.1).abs() < 1e-5, "{y:?}");
    }

    #[test]
    fn jmeint_known_pairs() {
        let flat = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        let piercing = [[0.2, 0.2, -1.0], [0.2, 0.2, 1.0], [0.3, 0.25, 1.0]];
        let above = [[0.2, 0.2, 0.5], [0.2, 0.2, 1.0], [0.3, 0.25, 1.0]];
        let coplanar_inside = [[0.1, 0.1, 0.0], [0.3, 0.1, 0.0], [0.1, 0.3, 0.0]];
        let coplanar_apart = [[2.0, 2.0, 0.0], [3.0, 2.0, 0.0], [2.0, 3.0, 0.0]];
        assert!(triangles_intersect(&flat, &piercing) && triangles_intersect(&piercing, &flat));
        assert!(!triangles_intersect(&flat, &above));
        assert!(triangles_intersect(&flat, &coplanar_inside) && !triangles_intersect(&flat, &coplanar_apart));
    }

    #[test]
    fn jpeg_flat_block_keeps_only_dc() {
        let mut y = [0.0; 64];
        jpeg(&[200.0 / 256.0; 64], &mut y);
        // DC = 8 * (200 - 128) = 576 = 36 * 16 exactly.
        assert!((y[0] - 576.0 / 256.0).abs() < 1e-6 && y[1..].iter().all(|c| c.abs() < 1e-6), "{y:?}");
        assert!(jpeg_decode(&y).iter().all(|&p| p == 200.0));
    }

    #[test]
    fn sobel_and_kmeans_known_values() {
        let mut y = [0.0];
        sobel(&[0.0, 0.0, 0.1, 0.0, 0.5, 0.1, 0.0, 0.0, 0.1], &mut y);
        assert!((y[0] - 0.4).abs() < 1e-6, "{y:?}");
        sobel(&[0.0, 0.0, 0.9, 0.0, 0.0, 0.9, 0.0, 0.0, 0.9], &mut y);
        assert_eq!(y[0], SOBEL_MAX);
        kmeans(&[0.1, 0.2, 0.3, 0.4, 0.6, 0.3], &mut y);
        assert!((y[0] - 0.5).abs() < 1e-6);
    }
}
