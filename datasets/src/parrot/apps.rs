//! Parrot's application error: how much a surrogate changes what the program's application
//! computes, measured on the test set, in percent.
//!
//! | program | metric | definition |
//! |---|---|---|
//! | fft, inversek2j | average relative error | `Σ|ŷ − y| / Σ|y|` over all test pairs and outputs |
//! | jmeint | miss rate | share of test pairs whose decision (`out_yes > out_no`) differs from the true one |
//! | jpeg | image difference | RMS difference / 255 between the test image decoded from the surrogate's coefficient blocks and from the true ones |
//! | sobel | image difference | RMS difference / 0.7071 between the edge images `clamp(output, 0, 0.7071)` |
//! | kmeans | image difference | RMS difference (channels in `[0, 1)`) between the test image colour-quantised with the surrogate as distance and with the exact distance |
//!
//! A relative error per pair (`|ŷ − y| / |y|`) is undefined where `y` crosses 0 (sin and cos do, on
//! fft's domain), so the sums are divided instead.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::inputs::{jpeg_blocks, test_crop};
use super::reference::{self, SOBEL_MAX};
use super::{Metric, ParrotError, ParrotProgram};
use crate::IoPairs;
use crate::images::ImageSet;

/// Number of colours of the kmeans application (colour quantization).
pub const KMEANS_CLUSTERS: usize = 6;
/// Seed of the kmeans application's initial centroids (uniform in `[0, 1)³`).
pub const KMEANS_CENTROID_SEED: u64 = 2012;

/// A surrogate's application error on one program's test set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AppError {
    /// The metric's name ([`Metric::name`]).
    pub metric: &'static str,
    /// The surrogate's error, in percent.
    pub percent: f64,
    /// Parrot's reported error for the same program, in percent.
    pub parrot_percent: f64,
}

/// The application error of `surrogate` (called as `surrogate(inputs, outputs)` on one pair) on
/// `program`'s test set `test`, whose outputs are the true ones. Image programs need the whole test
/// set built from `images` (its pairs make the image, in raster order).
pub fn application_error(
    program: &ParrotProgram,
    images: &ImageSet,
    test: &IoPairs,
    surrogate: &mut dyn FnMut(&[f32], &mut [f32]),
) -> Result<AppError, ParrotError> {
    let program = super::find(program.name)?;
    let data_err = |reason: String| ParrotError::Data { program: program.name, reason };
    if test.n_in() != program.n_in() || test.n_out() != program.n_out() || test.is_empty() {
        return Err(data_err(format!(
            "application error needs {}→{} test pairs, got {} pairs of {}→{}",
            program.n_in(),
            program.n_out(),
            test.len(),
            test.n_in(),
            test.n_out()
        )));
    }
    let image_pairs = match program.name {
        "jpeg" => Some(jpeg_blocks(&images.chelsea).len() / 64),
        "kmeans" | "sobel" => {
            let crop = test_crop(if program.name == "kmeans" { &images.coffee } else { &images.chelsea });
            Some(crop.width * crop.height)
        }
        _ => None,
    };
    if let Some(n) = image_pairs.filter(|&n| n != test.len()) {
        return Err(data_err(format!(
            "application error needs the whole test image ({n} pairs in raster order), got {} pairs",
            test.len()
        )));
    }
    let predicted = run(test, surrogate);
    let fraction = match program.name {
        "fft" | "inversek2j" => average_relative_error(test.outputs(), &predicted),
        "jmeint" => miss_rate(test, &predicted),
        "jpeg" => jpeg_difference(test, &predicted),
        "sobel" => sobel_difference(test.outputs(), &predicted),
        "kmeans" => kmeans_difference(test, surrogate),
        name => return Err(data_err(format!("no application metric for {name}"))),
    };
    debug_assert!(matches!(
        (program.name, program.metric),
        ("fft" | "inversek2j", Metric::AverageRelativeError)
            | ("jmeint", Metric::MissRate)
            | ("jpeg" | "sobel" | "kmeans", Metric::ImageDifference)
    ));
    Ok(AppError { metric: program.metric.name(), percent: 100.0 * fraction, parrot_percent: program.parrot_percent })
}

fn run(test: &IoPairs, surrogate: &mut dyn FnMut(&[f32], &mut [f32])) -> Vec<f32> {
    let mut out = vec![0.0; test.outputs().len()];
    for (i, y) in out.chunks_exact_mut(test.n_out()).enumerate() {
        surrogate(test.input(i), y);
    }
    out
}

fn rms(diffs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = diffs.fold((0.0, 0usize), |(s, n), d| (s + d * d, n + 1));
    if n == 0 { 0.0 } else { (sum / n as f64).sqrt() }
}

/// `Σ|ŷ − y| / Σ|y|`.
fn average_relative_error(truth: &[f32], predicted: &[f32]) -> f64 {
    let err: f64 = truth.iter().zip(predicted).map(|(&y, &p)| (f64::from(p) - f64::from(y)).abs()).sum();
    let norm: f64 = truth.iter().map(|&y| f64::from(y).abs()).sum();
    if norm > 0.0 { err / norm } else { err }
}

/// Share of pairs whose `out_yes > out_no` decision differs.
fn miss_rate(test: &IoPairs, predicted: &[f32]) -> f64 {
    let misses = (0..test.len())
        .filter(|&i| {
            let (y, p) = (test.output(i), &predicted[2 * i..2 * i + 2]);
            (y[0] > y[1]) != (p[0] > p[1])
        })
        .count();
    misses as f64 / test.len() as f64
}

/// RMS difference / 255 of the blocks decoded from the predicted and the true coefficients.
fn jpeg_difference(test: &IoPairs, predicted: &[f32]) -> f64 {
    let diffs = (0..test.len()).flat_map(|i| {
        let a = reference::jpeg_decode(test.output(i));
        let b = reference::jpeg_decode(&predicted[64 * i..64 * i + 64]);
        (0..64).map(move |k| a[k] - b[k])
    });
    rms(diffs) / 255.0
}

/// RMS difference / 0.7071 of the edge images `clamp(output, 0, 0.7071)`.
fn sobel_difference(truth: &[f32], predicted: &[f32]) -> f64 {
    let edge = |v: f32| f64::from(v.clamp(0.0, SOBEL_MAX));
    rms(truth.iter().zip(predicted).map(|(&y, &p)| edge(y) - edge(p))) / f64::from(SOBEL_MAX)
}

/// Colour quantization of the test image with `distance`: [`KMEANS_CLUSTERS`] centroids drawn
/// uniformly in `[0, 1)³` ([`KMEANS_CENTROID_SEED`]), each pixel assigned to its nearest centroid,
/// centroids moved to the mean of their pixels (an empty cluster keeps its centroid), and each pixel
/// replaced by its cluster's centroid. Returns the quantised image, 3 values per pixel.
pub fn colour_quantize(pixels: &[[f32; 3]], distance: &mut dyn FnMut(&[f32], &mut [f32])) -> Vec<[f64; 3]> {
    let mut rng = ChaCha8Rng::seed_from_u64(KMEANS_CENTROID_SEED);
    let centroids: Vec<[f32; 3]> =
        (0..KMEANS_CLUSTERS).map(|_| [0; 3].map(|_: i32| rng.random::<f64>() as f32)).collect();
    let mut input = [0.0f32; 6];
    let mut d = [0.0f32];
    let assignment: Vec<usize> = pixels
        .iter()
        .map(|p| {
            let mut best = (0, f32::INFINITY);
            for (k, c) in centroids.iter().enumerate() {
                input[..3].copy_from_slice(p);
                input[3..].copy_from_slice(c);
                distance(&input, &mut d);
                if d[0] < best.1 {
                    best = (k, d[0]);
                }
            }
            best.0
        })
        .collect();
    let mut sums = [[0.0f64; 3]; KMEANS_CLUSTERS];
    let mut counts = [0usize; KMEANS_CLUSTERS];
    for (p, &k) in pixels.iter().zip(&assignment) {
        counts[k] += 1;
        for c in 0..3 {
            sums[k][c] += f64::from(p[c]);
        }
    }
    let recentred: Vec<[f64; 3]> = (0..KMEANS_CLUSTERS)
        .map(|k| if counts[k] == 0 { centroids[k].map(f64::from) } else { sums[k].map(|s| s / counts[k] as f64) })
        .collect();
    assignment.iter().map(|&k| recentred[k]).collect()
}

/// RMS difference between the test image quantised with the surrogate and with the exact distance.
fn kmeans_difference(test: &IoPairs, surrogate: &mut dyn FnMut(&[f32], &mut [f32])) -> f64 {
    let pixels: Vec<[f32; 3]> = (0..test.len()).map(|i| [0, 1, 2].map(|c| test.input(i)[c])).collect();
    let approx = colour_quantize(&pixels, surrogate);
    let exact = colour_quantize(&pixels, &mut reference::kmeans);
    rms(approx.iter().zip(&exact).flat_map(|(a, e)| (0..3).map(move |c| a[c] - e[c])))
}
