//! Seeded, deterministic inputs of the ParrotBench programs: random values from each program's
//! domain, or windows, blocks and pixels of real photographs (see [`ImageSet`]).
//!
//! Every (program, split) draws from its own ChaCha8 stream of the given seed, so adding a program or
//! changing one split's size never changes another's inputs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{ParrotError, ParrotProgram, TEST_CROP, reference};
use crate::images::{Image, ImageSet};

/// Which of a program's data sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// Training pairs.
    Train,
    /// Test pairs (application error is measured on these).
    Test,
}

impl Split {
    /// `"train"` or `"test"`, as stored in the Parquet `split` column.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
    /// Both splits, train first.
    pub const ALL: [Split; 2] = [Split::Train, Split::Test];
}

/// The row-major inputs of `program`'s `split`: exactly `program.sizes` rows of `program.n_in()` values.
pub fn generate(program: &ParrotProgram, split: Split, images: &ImageSet, seed: u64) -> Result<Vec<f32>, ParrotError> {
    let index = super::programs().iter().position(|p| p.name == program.name).unwrap_or(0) as u64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(2 * index + split as u64);
    let n = match split {
        Split::Train => program.sizes.train,
        Split::Test => program.sizes.test,
    };
    let inputs = match (program.name, split) {
        ("fft", _) => (0..n).map(|_| (rng.random::<f64>() * 0.5) as f32).collect(),
        ("inversek2j", _) => arm_positions(&mut rng, n),
        ("jmeint", _) | ("kmeans", Split::Train) => uniform(&mut rng, program.domain, n),
        ("jpeg", Split::Train) => [&images.astronaut, &images.coffee].iter().flat_map(|i| jpeg_blocks(i)).collect(),
        ("jpeg", Split::Test) => jpeg_blocks(&images.chelsea),
        ("kmeans", Split::Test) => pixels_with_centroids(&mut rng, &test_crop(&images.coffee)),
        ("sobel", Split::Train) => sobel_windows(&images.astronaut),
        ("sobel", Split::Test) => sobel_windows(&test_crop(&images.chelsea)),
        (name, _) => {
            return Err(ParrotError::Data { program: program.name, reason: format!("no generator for {name}") });
        }
    };
    let rows = inputs.len() / program.n_in();
    if rows != n {
        return Err(ParrotError::Data {
            program: program.name,
            reason: format!(
                "the {} generator made {rows} inputs, the table says {n} (are the photos those of scikit-image {}?)",
                split.name(),
                crate::images::SKIMAGE_VERSION
            ),
        });
    }
    Ok(inputs)
}

/// The centred [`TEST_CROP`] of a photo (kmeans and sobel test images).
pub fn test_crop(image: &Image) -> Image {
    image.centre_crop(TEST_CROP.0, TEST_CROP.1)
}

fn uniform(rng: &mut ChaCha8Rng, domain: &[(f32, f32)], n: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(n * domain.len());
    for _ in 0..n {
        for &(lo, hi) in domain {
            let t: f64 = rng.random();
            v.push((f64::from(lo) + t * f64::from(hi - lo)) as f32);
        }
    }
    v
}

fn arm_positions(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(2 * n);
    for _ in 0..n {
        let t1 = rng.random::<f64>() * std::f64::consts::FRAC_PI_2;
        let t2 = rng.random::<f64>() * std::f64::consts::FRAC_PI_2;
        let (x, y) = reference::forward_kinematics(t1, t2);
        v.extend([x as f32, y as f32]);
    }
    v
}

/// Each pixel's RGB / 256 followed by a random centroid in `[0, 1)³`, raster order.
fn pixels_with_centroids(rng: &mut ChaCha8Rng, image: &Image) -> Vec<f32> {
    let mut v = Vec::with_capacity(6 * image.width * image.height);
    for px in image.rgb.chunks_exact(3) {
        v.extend(px.iter().map(|&c| f32::from(c) / 256.0));
        v.extend((0..3).map(|_| rng.random::<f64>() as f32));
    }
    v
}

/// JPEG's luma of each pixel, `round(0.299 R + 0.587 G + 0.114 B)`, row-major.
pub fn luma8(image: &Image) -> Vec<u8> {
    image
        .rgb
        .chunks_exact(3)
        .map(|p| (0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])).round().min(255.0) as u8)
        .collect()
}

/// Every whole 8×8 block of the photo's luma, blocks in raster order, pixels row-major, values / 256.
pub fn jpeg_blocks(image: &Image) -> Vec<f32> {
    let luma = luma8(image);
    let (bw, bh) = (image.width / 8, image.height / 8);
    let mut v = Vec::with_capacity(64 * bw * bh);
    for by in 0..bh {
        for bx in 0..bw {
            for y in 0..8 {
                let row = (8 * by + y) * image.width + 8 * bx;
                v.extend(luma[row..row + 8].iter().map(|&p| f32::from(p) / 256.0));
            }
        }
    }
    v
}

/// The 3×3 luminance window (row-major) around every pixel, raster order, edge pixels replicated.
pub fn sobel_windows(image: &Image) -> Vec<f32> {
    let lum = image.luminance();
    let (w, h) = (image.width as isize, image.height as isize);
    let at = |x: isize, y: isize| lum[(y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) as usize];
    let mut v = Vec::with_capacity(9 * lum.len());
    for y in 0..h {
        for x in 0..w {
            for dy in -1..=1 {
                for dx in -1..=1 {
                    v.push(at(x + dx, y + dy));
                }
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_replicate_edges_and_blocks_tile() {
        let img = Image { width: 16, height: 8, rgb: (0..16 * 8 * 3).map(|i| (i / 3) as u8).collect() };
        let w = sobel_windows(&img);
        assert_eq!(w.len(), 9 * 128);
        let lum = img.luminance();
        assert_eq!(&w[..9], &[lum[0], lum[0], lum[1], lum[0], lum[0], lum[1], lum[16], lum[16], lum[17]]);
        let b = jpeg_blocks(&img);
        assert_eq!(b.len(), 128);
        assert_eq!((b[8] * 256.0, b[64] * 256.0), (16.0, 8.0)); // block 0 row 1; block 1 row 0
    }
}
