//! Application error metrics: zero for the exact program, the expected value for known perturbations.
//! Test sets are built from synthetic images with the Rust reference as the true program, so these
//! tests need neither the harness nor the photos.

use compnet_datasets::IoPairs;
use compnet_datasets::images::ImageSet;
use compnet_datasets::parrot::apps::colour_quantize;
use compnet_datasets::parrot::inputs::{self, Split, jpeg_blocks, sobel_windows, test_crop};
use compnet_datasets::parrot::reference::{self, SOBEL_MAX};
use compnet_datasets::parrot::{self, ParrotProgram, application_error};

fn test_set(p: &ParrotProgram, images: &ImageSet) -> IoPairs {
    let xs = match p.name {
        "jpeg" => jpeg_blocks(&images.chelsea),
        "sobel" => sobel_windows(&test_crop(&images.chelsea)),
        "kmeans" => {
            let crop = test_crop(&images.coffee);
            crop.rgb
                .chunks_exact(3)
                .enumerate()
                .flat_map(|(i, px)| {
                    let c = [0.1, 0.5, 0.9].map(|v: f32| (v + i as f32 * 0.137).fract());
                    [px[0], px[1], px[2]].map(|b| f32::from(b) / 256.0).into_iter().chain(c)
                })
                .collect()
        }
        _ => {
            let mut xs = inputs::generate(p, Split::Test, images, 1).unwrap();
            xs.truncate(p.n_in() * 2000);
            xs
        }
    };
    let ys = p.reference_outputs(&xs);
    IoPairs::new(p.n_in(), p.n_out(), xs, ys).unwrap()
}

fn error(p: &ParrotProgram, images: &ImageSet, test: &IoPairs, f: &mut dyn FnMut(&[f32], &mut [f32])) -> f64 {
    let e = application_error(p, images, test, f).unwrap();
    assert_eq!((e.metric, e.parrot_percent), (p.metric.name(), p.parrot_percent));
    e.percent
}

#[test]
fn exact_program_has_zero_error() {
    let images = ImageSet::synthetic();
    for p in parrot::programs() {
        let test = test_set(p, &images);
        assert!(test.len() >= 100 || p.name == "jpeg", "{}: {}", p.name, test.len());
        let e = error(p, &images, &test, &mut |x, y| (p.reference)(x, y));
        assert_eq!(e, 0.0, "{}", p.name);
    }
}

#[test]
fn average_relative_error_of_an_offset() {
    let images = ImageSet::synthetic();
    for name in ["fft", "inversek2j"] {
        let p = parrot::find(name).unwrap();
        let test = test_set(p, &images);
        let e = error(p, &images, &test, &mut |x, y| {
            (p.reference)(x, y);
            y.iter_mut().for_each(|v| *v -= 0.01);
        });
        let norm: f64 = test.outputs().iter().map(|v| f64::from(v.abs())).sum();
        let expected = 100.0 * 0.01 * test.outputs().len() as f64 / norm;
        assert!((e - expected).abs() < 1e-4 * expected, "{name}: {e} vs {expected}");
    }
}

#[test]
fn miss_rate_counts_flipped_decisions() {
    let images = ImageSet::synthetic();
    let p = parrot::find("jmeint").unwrap();
    let test = test_set(p, &images);
    let mut i = 0;
    let e = error(p, &images, &test, &mut |x, y| {
        (p.reference)(x, y);
        if i % 4 == 0 {
            y.swap(0, 1);
        }
        i += 1;
    });
    assert!((e - 25.0).abs() < 1e-9, "{e}");
    // Outputs that keep the decision but not the values are no miss.
    let e = error(p, &images, &test, &mut |x, y| {
        (p.reference)(x, y);
        y[0] += 0.05;
    });
    assert_eq!(e, 0.0);
}

#[test]
fn sobel_image_difference_of_a_blank_edge_image() {
    let images = ImageSet::synthetic();
    let p = parrot::find("sobel").unwrap();
    let test = test_set(p, &images);
    let e = error(p, &images, &test, &mut |_, y| y[0] = -1.0); // clamped to 0: a blank edge image
    let ms: f64 = test.outputs().iter().map(|&v| f64::from(v.min(SOBEL_MAX)).powi(2)).sum::<f64>() / test.len() as f64;
    let expected = 100.0 * ms.sqrt() / f64::from(SOBEL_MAX);
    assert!(expected > 1.0 && (e - expected).abs() < 1e-9 * expected, "{e} vs {expected}");
}

#[test]
fn jpeg_image_difference_of_a_brightness_shift() {
    let images = ImageSet::synthetic();
    let p = parrot::find("jpeg").unwrap();
    let test = test_set(p, &images);
    // +8 on the DC coefficient raises every decoded pixel by exactly 1 (before clamping at 255).
    let e = error(p, &images, &test, &mut |x, y| {
        (p.reference)(x, y);
        y[0] += 8.0 / 256.0;
    });
    let truth: Vec<f64> = (0..test.len()).flat_map(|i| reference::jpeg_decode(test.output(i))).collect();
    let moved = truth.iter().filter(|&&v| v < 255.0 && v > 0.0).count() as f64 / truth.len() as f64;
    let expected = 100.0 * moved.sqrt() / 255.0;
    assert!((e - expected).abs() < 0.05 * expected, "{e} vs {expected}");
    let e = application_error(p, &images, &test.select(&[0, 1]), &mut |x, y| (p.reference)(x, y));
    assert!(e.unwrap_err().to_string().contains("whole test image"));
}

#[test]
fn kmeans_image_difference_depends_only_on_the_ranking_of_distances() {
    let images = ImageSet::synthetic();
    let p = parrot::find("kmeans").unwrap();
    let test = test_set(p, &images);
    // Twice the distance ranks centroids the same way: the same quantised image.
    let e = error(p, &images, &test, &mut |x, y| {
        reference::kmeans(x, y);
        y[0] *= 2.0;
    });
    assert_eq!(e, 0.0);
    // A constant distance puts every pixel in the first cluster: the image becomes its mean colour.
    let e = error(p, &images, &test, &mut |_, y| y[0] = 0.5);
    let pixels: Vec<[f32; 3]> = (0..test.len()).map(|i| [0, 1, 2].map(|c| test.input(i)[c])).collect();
    let exact = colour_quantize(&pixels, &mut reference::kmeans);
    let mean = [0, 1, 2].map(|c| pixels.iter().map(|p| f64::from(p[c])).sum::<f64>() / pixels.len() as f64);
    let ms: f64 = exact.iter().flat_map(|q| (0..3).map(move |c| (q[c] - mean[c]).powi(2))).sum::<f64>()
        / (3 * pixels.len()) as f64;
    let expected = 100.0 * ms.sqrt();
    assert!(expected > 1.0 && (e - expected).abs() < 1e-9 * expected, "{e} vs {expected}");
}
