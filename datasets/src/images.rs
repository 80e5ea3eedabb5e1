//! Real photographs for the image-based ParrotBench programs (sobel, kmeans, jpeg).
//!
//! The photos come from the scikit-image wheel on PyPI, which ships public-domain / CC0 images under
//! `skimage/data/`. The wheel is downloaded once with `pip download --no-deps` into a cache folder and
//! the PNGs are read straight out of the zip; no image is committed to this repository.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The scikit-image release whose wheel supplies the photos.
pub const SKIMAGE_VERSION: &str = "0.25.2";
/// Environment variable naming a scikit-image wheel to use instead of downloading one.
pub const WHEEL_ENV: &str = "COMPNET_SKIMAGE_WHEEL";
/// Environment variable naming the cache folder (default `$HOME/.cache/compnet`).
pub const CACHE_ENV: &str = "COMPNET_CACHE";

/// Why the photographs could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// `python3 -m pip` could not be started.
    #[error(
        "cannot run `python3 -m pip` to download the scikit-image wheel ({source}); install python3 with pip, or set {WHEEL_ENV}=/path/to/scikit_image-{SKIMAGE_VERSION}-….whl"
    )]
    PipMissing {
        /// The spawn error.
        source: std::io::Error,
    },
    /// pip ran and failed (offline, index unreachable, …).
    #[error(
        "`{command}` failed (exit {status}); are you offline? set {WHEEL_ENV}=/path/to/a/scikit-image wheel to skip the download. pip said:\n{stderr}"
    )]
    Download {
        /// The command line run.
        command: String,
        /// Its exit status.
        status: String,
        /// The end of its standard error.
        stderr: String,
    },
    /// pip succeeded but no wheel is in the cache folder.
    #[error("no scikit_image-{SKIMAGE_VERSION}-*.whl in {dir} after pip download")]
    WheelNotFound {
        /// The cache folder.
        dir: PathBuf,
    },
    /// A file could not be read or a folder created.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The wheel is not a readable zip archive.
    #[error("{path} is not a readable wheel (zip): {source}")]
    Zip {
        /// The wheel.
        path: PathBuf,
        /// The zip error.
        source: zip::result::ZipError,
    },
    /// The wheel lacks one of the photos.
    #[error("{wheel} holds no {member}; use scikit-image {SKIMAGE_VERSION}")]
    PhotoMissing {
        /// The wheel.
        wheel: PathBuf,
        /// The member looked for.
        member: String,
    },
    /// A photo is not a PNG this module can decode.
    #[error("{member} in {wheel}: {reason}")]
    Decode {
        /// The wheel.
        wheel: PathBuf,
        /// The member.
        member: String,
        /// What went wrong.
        reason: String,
    },
}

/// An RGB image, 8 bits per channel, row-major, `rgb.len() == 3 * width * height`.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Pixels, row-major, 3 bytes (R, G, B) each.
    pub rgb: Vec<u8>,
}

impl Image {
    /// The `(r, g, b)` bytes of the pixel in row `y`, column `x`.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = 3 * (y * self.width + x);
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Luminance as ParrotBench's sobel defines it, `(0.30 R + 0.59 G + 0.11 B) / 256`, row-major.
    pub fn luminance(&self) -> Vec<f32> {
        self.rgb
            .chunks_exact(3)
            .map(|p| ((0.30 * f64::from(p[0]) + 0.59 * f64::from(p[1]) + 0.11 * f64::from(p[2])) / 256.0) as f32)
            .collect()
    }

    /// The `width × height` region whose top-left pixel is `(x0, y0)`, clipped to the image.
    pub fn crop(&self, x0: usize, y0: usize, width: usize, height: usize) -> Image {
        let x0 = x0.min(self.width);
        let y0 = y0.min(self.height);
        let width = width.min(self.width - x0);
        let height = height.min(self.height - y0);
        let mut rgb = Vec::with_capacity(3 * width * height);
        for y in y0..y0 + height {
            let row = 3 * (y * self.width + x0);
            rgb.extend_from_slice(&self.rgb[row..row + 3 * width]);
        }
        Image { width, height, rgb }
    }

    /// The centred `width × height` region (clipped to the image).
    pub fn centre_crop(&self, width: usize, height: usize) -> Image {
        let x0 = self.width.saturating_sub(width) / 2;
        let y0 = self.height.saturating_sub(height) / 2;
        self.crop(x0, y0, width, height)
    }
}

/// The photographs ParrotBench's image programs use.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// `astronaut.png`, 512 × 512 (Eileen Collins, NASA; public domain).
    pub astronaut: Image,
    /// `coffee.png`, 600 × 400 (Rachel Michetti; CC0).
    pub coffee: Image,
    /// `chelsea.png`, 451 × 300 (Stéfan van der Walt; CC0).
    pub chelsea: Image,
}

impl ImageSet {
    /// Small generated images (smooth colour gradients with a disc) in place of the photos: for tests,
    /// and for building programs that use no photo (fft, inversek2j, jmeint) without a download.
    /// Image programs built from them fail their size check.
    pub fn synthetic() -> ImageSet {
        let make = |width: usize, height: usize, phase: usize| {
            let mut rgb = Vec::with_capacity(3 * width * height);
            for y in 0..height {
                for x in 0..width {
                    let (dx, dy) = (x as isize - width as isize / 2, y as isize - height as isize / 3);
                    let inside = dx * dx + dy * dy < (height as isize / 4).pow(2);
                    let r = ((x + phase) * 255 / width) as u8;
                    let g = (y * 255 / height) as u8;
                    let b = if inside { 230 } else { ((x * y + phase) % 97) as u8 };
                    rgb.extend([r, g, b]);
                }
            }
            Image { width, height, rgb }
        };
        ImageSet { astronaut: make(64, 64, 0), coffee: make(60, 40, 7), chelsea: make(45, 30, 13) }
    }

    /// The cache folder: `$COMPNET_CACHE`, else `$HOME/.cache/compnet`, else `./.compnet-cache`.
    pub fn default_cache_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => PathBuf::from(home).join(".cache").join("compnet"),
            None => PathBuf::from(".compnet-cache"),
        }
    }

    /// Reads the photos from the scikit-image wheel: the one named by `$COMPNET_SKIMAGE_WHEEL`, else the
    /// one cached in `cache_dir`, else one downloaded there now with `python3 -m pip download`.
    pub fn fetch(cache_dir: &Path) -> Result<ImageSet, ImageError> {
        let wheel = match std::env::var_os(WHEEL_ENV).filter(|w| !w.is_empty()) {
            Some(w) => PathBuf::from(w),
            None => ensure_wheel(cache_dir)?,
        };
        ImageSet::from_wheel(&wheel)
    }

    /// Reads the photos from a scikit-image wheel file.
    pub fn from_wheel(wheel: &Path) -> Result<ImageSet, ImageError> {
        let file = File::open(wheel).map_err(|source| ImageError::Io { path: wheel.to_owned(), source })?;
        let mut zip =
            zip::ZipArchive::new(file).map_err(|source| ImageError::Zip { path: wheel.to_owned(), source })?;
        let mut read = |name: &str| read_png(&mut zip, wheel, &format!("skimage/data/{name}.png"));
        Ok(ImageSet { astronaut: read("astronaut")?, coffee: read("coffee")?, chelsea: read("chelsea")? })
    }
}

fn cached_wheel(dir: &Path) -> Option<PathBuf> {
    let prefix = format!("scikit_image-{SKIMAGE_VERSION}-");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
        .collect();
    found.sort();
    found.pop()
}

fn ensure_wheel(cache_dir: &Path) -> Result<PathBuf, ImageError> {
    if let Some(w) = cached_wheel(cache_dir) {
        return Ok(w);
    }
    std::fs::create_dir_all(cache_dir).map_err(|source| ImageError::Io { path: cache_dir.to_owned(), source })?;
    let args = [
        "-m".to_string(),
        "pip".into(),
        "download".into(),
        "--no-deps".into(),
        "--only-binary=:all:".into(),
        "--platform".into(),
        "manylinux2014_x86_64".into(),
        "--python-version".into(),
        "3.11".into(),
        format!("scikit-image=={SKIMAGE_VERSION}"),
        "-d".into(),
        cache_dir.display().to_string(),
    ];
    let command = format!("python3 {}", args.join(" "));
    eprintln!("downloading the scikit-image {SKIMAGE_VERSION} wheel for its photos: {command}");
    let out = Command::new("python3").args(&args).output().map_err(|source| ImageError::PipMissing { source })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String =
            stderr.lines().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        return Err(ImageError::Download { command, status: out.status.to_string(), stderr: tail });
    }
    cached_wheel(cache_dir).ok_or_else(|| ImageError::WheelNotFound { dir: cache_dir.to_owned() })
}

fn read_png(zip: &mut zip::ZipArchive<File>, wheel: &Path, member: &str) -> Result<Image, ImageError> {
    let missing = || ImageError::PhotoMissing { wheel: wheel.to_owned(), member: member.to_owned() };
    let mut entry = zip.by_name(member).map_err(|_| missing())?;
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry.read_to_end(&mut bytes).map_err(|source| ImageError::Io { path: wheel.join(member), source })?;
    decode_png(&bytes).map_err(|reason| ImageError::Decode {
        wheel: wheel.to_owned(),
        member: member.to_owned(),
        reason,
    })
}

/// Decodes a PNG into 8-bit RGB (grey is replicated, alpha dropped, 16-bit reduced to 8).
pub fn decode_png(bytes: &[u8]) -> Result<Image, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader.output_buffer_size().ok_or("image too large")?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let (width, height) = (info.width as usize, info.height as usize);
    let data = &buf[..info.buffer_size()];
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("palette image left unexpanded".into()),
    };
    if info.bit_depth != png::BitDepth::Eight || data.len() != width * height * channels {
        return Err(format!("unexpected layout: {:?} {:?}, {} bytes", info.color_type, info.bit_depth, data.len()));
    }
    let mut rgb = Vec::with_capacity(3 * width * height);
    for px in data.chunks_exact(channels) {
        match channels {
            1 | 2 => rgb.extend_from_slice(&[px[0]; 3]),
            _ => rgb.extend_from_slice(&px[..3]),
        }
    }
    Ok(Image { width, height, rgb })
}
