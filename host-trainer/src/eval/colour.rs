//! The colour-quantization application of kmeans: an image quantised to 6 colours with a
//! surrogate as the pixel–centroid distance, against the same with the exact distance, by MSE
//! (channels on 0–255) and SSIM (luminance).

use compnet_datasets::images::Image;
use compnet_datasets::parrot::apps::colour_quantize;
use compnet_runtime::Surrogate;

/// The pixels of `image` scaled by 1/256 (PAPER.md), as kmeans' inputs.
pub fn pixels(image: &Image) -> Vec<[f32; 3]> {
    image.rgb.chunks_exact(3).map(|p| [0, 1, 2].map(|c| f32::from(p[c]) / 256.0)).collect()
}

/// `pixels` quantised with `distance`, back to 8-bit RGB.
pub fn quantize(
    pixels: &[[f32; 3]],
    width: usize,
    height: usize,
    distance: &mut dyn FnMut(&[f32], &mut [f32]),
) -> Image {
    let q = colour_quantize(pixels, distance);
    let rgb = q.iter().flat_map(|p| p.map(|v| (v * 256.0).round().clamp(0.0, 255.0) as u8)).collect();
    Image { width, height, rgb }
}

/// `pixels` quantised with a surrogate of kmeans' distance.
pub fn quantize_with(pixels: &[[f32; 3]], width: usize, height: usize, surrogate: &Surrogate) -> Image {
    let mut distance = |x: &[f32], y: &mut [f32]| {
        let out = surrogate.eval_batch(x).expect("a 6 → 1 surrogate");
        y[0] = out[0];
    };
    quantize(pixels, width, height, &mut distance)
}

/// Mean squared difference over all channels, on 0–255.
pub fn mse(a: &Image, b: &Image) -> f64 {
    assert_eq!(a.rgb.len(), b.rgb.len(), "images of different sizes");
    a.rgb.iter().zip(&b.rgb).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>()
        / a.rgb.len().max(1) as f64
}

fn luma(image: &Image) -> Vec<f64> {
    image
        .rgb
        .chunks_exact(3)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect()
}

/// Mean SSIM (Wang et al. 2004) of the luminance of `a` and `b`: Gaussian window 11×11 with
/// σ = 1.5, K1 = 0.01, K2 = 0.03, dynamic range 255, over every window inside the image.
pub fn ssim(a: &Image, b: &Image) -> f64 {
    assert!(a.width == b.width && a.height == b.height, "images of different sizes");
    const R: usize = 5;
    let (w, h) = (a.width, a.height);
    if w <= 2 * R || h <= 2 * R {
        return if a.rgb == b.rgb { 1.0 } else { 0.0 };
    }
    let g: Vec<f64> = (0..=2 * R).map(|i| (-((i as f64 - R as f64).powi(2)) / (2.0 * 1.5 * 1.5)).exp()).collect();
    let norm: f64 = g.iter().sum::<f64>().powi(2);
    let (x, y) = (luma(a), luma(b));
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let mut total = 0.0;
    let mut count = 0usize;
    for cy in R..h - R {
        for cx in R..w - R {
            let (mut mx, mut my, mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for dy in 0..=2 * R {
                let row = (cy + dy - R) * w;
                for dx in 0..=2 * R {
                    let k = g[dy] * g[dx] / norm;
                    let (p, q) = (x[row + cx + dx - R], y[row + cx + dx - R]);
                    mx += k * p;
                    my += k * q;
                    xx += k * p * p;
                    yy += k * q * q;
                    xy += k * p * q;
                }
            }
            let (vx, vy, cov) = (xx - mx * mx, yy - my * my, xy - mx * my);
            total += ((2.0 * mx * my + c1) * (2.0 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
            count += 1;
        }
    }
    total / count as f64
}

/// Writes `image` as an 8-bit RGB PNG.
pub fn write_png(path: &std::path::Path, image: &Image) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, image.width as u32, image.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()?.write_image_data(&image.rgb)?;
    }
    crate::artifacts::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(f: impl Fn(usize, usize) -> [u8; 3]) -> Image {
        let (w, h) = (24, 20);
        Image {
            width: w,
            height: h,
            rgb: (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).flat_map(|(x, y)| f(x, y)).collect(),
        }
    }

    #[test]
    fn ssim_is_one_for_equal_images_and_falls_with_noise() {
        let a = image(|x, y| [(x * 10) as u8, (y * 12) as u8, 90]);
        assert!((ssim(&a, &a) - 1.0).abs() < 1e-12);
        assert_eq!(mse(&a, &a), 0.0);
        let b = image(|x, y| [(x * 10 + (x * 7 + y * 3) % 20) as u8, (y * 12) as u8, 90]);
        let c = image(|x, y| [(x * 10 + (x * 7 + y * 3) % 60) as u8, (y * 12) as u8, 90]);
        let (sb, sc) = (ssim(&a, &b), ssim(&a, &c));
        assert!(sb < 1.0 && sc < sb, "{sb} {sc}");
        // A constant shift of luminance keeps structure: SSIM stays high; MSE is the shift².
        let d = image(|x, y| [(x * 10 + 5) as u8, (y * 12 + 5) as u8, 95]);
        assert!(ssim(&a, &d) > 0.95);
        assert!((mse(&a, &d) - 25.0).abs() < 1e-9);
    }

    /// Quantising with the exact distance (a Rust function here) gives at most 6 colours.
    #[test]
    fn quantize_gives_six_colours_at_most() {
        let a = image(|x, y| [(x * 10) as u8, (y * 12) as u8, ((x * y) % 256) as u8]);
        let p = pixels(&a);
        let mut exact = |x: &[f32], y: &mut [f32]| y[0] = (0..3).map(|c| (x[c] - x[c + 3]).powi(2)).sum();
        let q = quantize(&p, a.width, a.height, &mut exact);
        let mut colours: Vec<&[u8]> = q.rgb.chunks_exact(3).collect();
        colours.sort();
        colours.dedup();
        assert!(colours.len() <= 6 && colours.len() >= 2, "{}", colours.len());
    }
}
