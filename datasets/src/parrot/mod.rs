//! ParrotBench: the six programs of Parrot (Esmaeilzadeh et al., MICRO 2012) as C sources written
//! here from their definitions, with their input domains, data, Rust references and application
//! error metrics.
//!
//! * [`programs`] / [`find`]: the table of [`ParrotProgram`]s.
//! * [`reference`](mod@reference): independent Rust reimplementations of the six programs.
//! * [`inputs`]: seeded input generators (random values, or windows/blocks/pixels of real photos).
//! * [`build`], [`build_dir`], [`load`]: train/test I/O pairs, outputs computed by running the C
//!   programs through the [`Harness`](crate::harness::Harness), stored as Parquet.
//! * [`apps`]: Parrot's application error of a surrogate (average relative error, miss rate, image
//!   difference).

pub mod apps;
mod data;
pub mod inputs;
pub mod reference;

pub use apps::{AppError, application_error};
pub use data::{BuiltFile, ParrotData, ProgramBuild, build, build_dir, file_name, load};
pub use inputs::Split;

use crate::signature::{Signature, SignatureError};

/// How Parrot measures a program's application error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `Σ|ŷ − y| / Σ|y|` over all test pairs and outputs, in percent.
    AverageRelativeError,
    /// Share of test pairs whose yes/no decision differs from the true one, in percent.
    MissRate,
    /// RMS difference between the output image made with the surrogate and the one made with the
    /// original program, over the pixel range, in percent.
    ImageDifference,
}

impl Metric {
    /// The metric's name as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Metric::AverageRelativeError => "average relative error",
            Metric::MissRate => "miss rate",
            Metric::ImageDifference => "image difference",
        }
    }
}

/// Numbers of train and test I/O pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSizes {
    /// Training pairs.
    pub train: usize,
    /// Test pairs.
    pub test: usize,
}

/// One ParrotBench program.
#[derive(Debug)]
pub struct ParrotProgram {
    /// Benchmark name (also the Parquet file's stem).
    pub name: &'static str,
    /// Name of the C entry function.
    pub function: &'static str,
    /// The C source (C11 + libm), defining exactly [`ParrotProgram::signature`].
    pub source: &'static str,
    /// The entry function's C declaration (without the trailing `;`).
    pub signature: &'static str,
    /// Input domain: `(lo, hi)` per input, in signature order.
    pub domain: &'static [(f32, f32)],
    /// Hidden layer widths of Parrot's network for this program (commonly cited; not verified).
    pub hidden: &'static [usize],
    /// How the application error is measured.
    pub metric: Metric,
    /// Parrot's application error for this program in percent (Parrot Table 1, commonly cited).
    pub parrot_percent: f64,
    /// Train / test set sizes.
    pub sizes: DataSizes,
    /// Where the training inputs come from.
    pub train_data: &'static str,
    /// Where the test inputs come from.
    pub test_data: &'static str,
    /// The independent Rust reimplementation: `(inputs, outputs)` of one pair, outputs in signature order.
    pub reference: fn(&[f32], &mut [f32]),
    /// Number of outputs (checked against the parsed signature by a test).
    n_out: usize,
}

impl ParrotProgram {
    /// The parsed C signature.
    pub fn parsed_signature(&self) -> Result<Signature, ParrotError> {
        Signature::parse(self.signature).map_err(|source| ParrotError::Signature { program: self.name, source })
    }
    /// Number of inputs (the domain's length).
    pub fn n_in(&self) -> usize {
        self.domain.len()
    }
    /// Number of outputs.
    pub fn n_out(&self) -> usize {
        self.n_out
    }
    /// Runs the Rust reference on row-major inputs; returns row-major outputs.
    pub fn reference_outputs(&self, inputs: &[f32]) -> Vec<f32> {
        let (n_in, n_out) = (self.n_in(), self.n_out());
        let mut out = vec![0.0; inputs.len() / n_in * n_out];
        for (x, y) in inputs.chunks_exact(n_in).zip(out.chunks_exact_mut(n_out)) {
            (self.reference)(x, y);
        }
        out
    }
}

/// What went wrong with a ParrotBench program or its data.
#[derive(Debug, thiserror::Error)]
pub enum ParrotError {
    /// No program has this name.
    #[error("no ParrotBench program named `{name}`; the programs are: {valid}")]
    UnknownProgram {
        /// The name asked for.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// The program's declared signature does not parse.
    #[error("ParrotBench program `{program}`: its signature does not parse: {source}")]
    Signature {
        /// The program.
        program: &'static str,
        /// Why.
        source: SignatureError,
    },
    /// The harness rejected the program while computing its outputs.
    #[error("ParrotBench program `{program}` ({split} set): the harness rejected it ({reason}): {source}")]
    Harness {
        /// The program.
        program: &'static str,
        /// `train` or `test`.
        split: &'static str,
        /// The rejection's short reason.
        reason: &'static str,
        /// The rejection.
        source: Box<crate::harness::Rejection>,
    },
    /// Data do not have the shape or size the program needs.
    #[error("ParrotBench program `{program}`: {reason}")]
    Data {
        /// The program.
        program: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A program's data file does not exist.
    #[error("{path} does not exist: build the ParrotBench data with `compnet dataset parrot` (program `{program}`)")]
    MissingFile {
        /// The program.
        program: &'static str,
        /// The file expected.
        path: std::path::PathBuf,
    },
    /// A data file holds something other than this program's current data.
    #[error("{path}: {reason}; rebuild it with `compnet dataset parrot`")]
    StaleFile {
        /// The file.
        path: std::path::PathBuf,
        /// What does not match.
        reason: String,
    },
    /// Reading or writing Parquet failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

const UNIT: (f32, f32) = (0.0, 1.0);
const PIXEL: (f32, f32) = (0.0, 255.0 / 256.0);
static JMEINT_DOMAIN: [(f32, f32); 18] = [UNIT; 18];
static JPEG_DOMAIN: [(f32, f32); 64] = [PIXEL; 64];

/// Width and height of the photo crops the kmeans and sobel test sets use.
pub const TEST_CROP: (usize, usize) = (220, 200);

static JPEG_SIGNATURE: &str = concat!(
    "void jpeg(",
    "float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7, ",
    "float p8, float p9, float p10, float p11, float p12, float p13, float p14, float p15, ",
    "float p16, float p17, float p18, float p19, float p20, float p21, float p22, float p23, ",
    "float p24, float p25, float p26, float p27, float p28, float p29, float p30, float p31, ",
    "float p32, float p33, float p34, float p35, float p36, float p37, float p38, float p39, ",
    "float p40, float p41, float p42, float p43, float p44, float p45, float p46, float p47, ",
    "float p48, float p49, float p50, float p51, float p52, float p53, float p54, float p55, ",
    "float p56, float p57, float p58, float p59, float p60, float p61, float p62, float p63, ",
    "float *c0, float *c1, float *c2, float *c3, float *c4, float *c5, float *c6, float *c7, ",
    "float *c8, float *c9, float *c10, float *c11, float *c12, float *c13, float *c14, float *c15, ",
    "float *c16, float *c17, float *c18, float *c19, float *c20, float *c21, float *c22, float *c23, ",
    "float *c24, float *c25, float *c26, float *c27, float *c28, float *c29, float *c30, float *c31, ",
    "float *c32, float *c33, float *c34, float *c35, float *c36, float *c37, float *c38, float *c39, ",
    "float *c40, float *c41, float *c42, float *c43, float *c44, float *c45, float *c46, float *c47, ",
    "float *c48, float *c49, float *c50, float *c51, float *c52, float *c53, float *c54, float *c55, ",
    "float *c56, float *c57, float *c58, float *c59, float *c60, float *c61, float *c62, float *c63)",
);

static PROGRAMS: [ParrotProgram; 6] = [
    ParrotProgram {
        name: "fft",
        function: "fft",
        source: include_str!("../../programs/fft.c"),
        signature: "void fft(float x, float *sin_out, float *cos_out)",
        domain: &[(0.0, 0.5)],
        hidden: &[4, 4],
        metric: Metric::AverageRelativeError,
        parrot_percent: 7.22,
        sizes: DataSizes { train: 32_768, test: 2_048 },
        train_data: "x ~ U[0, 0.5]",
        test_data: "x ~ U[0, 0.5] (an independent draw)",
        reference: reference::fft,
        n_out: 2,
    },
    ParrotProgram {
        name: "inversek2j",
        function: "inversek2j",
        source: include_str!("../../programs/inversek2j.c"),
        signature: "void inversek2j(float x, float y, float *theta1, float *theta2)",
        domain: &[(-0.5, 1.0), (0.0, 1.0)],
        hidden: &[8],
        metric: Metric::AverageRelativeError,
        parrot_percent: 7.50,
        sizes: DataSizes { train: 10_000, test: 10_000 },
        train_data: "(x, y) = forward kinematics (l1 = l2 = 0.5) of theta1, theta2 ~ U(0, pi/2)",
        test_data: "(x, y) = forward kinematics of theta1, theta2 ~ U(0, pi/2) (an independent draw)",
        reference: reference::inversek2j,
        n_out: 2,
    },
    ParrotProgram {
        name: "jmeint",
        function: "jmeint",
        source: include_str!("../../programs/jmeint.c"),
        signature: "void jmeint(float v0x, float v0y, float v0z, float v1x, float v1y, float v1z, \
                    float v2x, float v2y, float v2z, float u0x, float u0y, float u0z, \
                    float u1x, float u1y, float u1z, float u2x, float u2y, float u2z, \
                    float *out_yes, float *out_no)",
        domain: &JMEINT_DOMAIN,
        hidden: &[32, 8],
        metric: Metric::MissRate,
        parrot_percent: 17.69,
        sizes: DataSizes { train: 100_000, test: 10_000 },
        train_data: "triangle pairs, every vertex coordinate ~ U[0, 1)",
        test_data: "triangle pairs, every vertex coordinate ~ U[0, 1) (an independent draw)",
        reference: reference::jmeint,
        n_out: 2,
    },
    ParrotProgram {
        name: "jpeg",
        function: "jpeg",
        source: include_str!("../../programs/jpeg.c"),
        signature: JPEG_SIGNATURE,
        domain: &JPEG_DOMAIN,
        hidden: &[16],
        metric: Metric::ImageDifference,
        parrot_percent: 9.56,
        sizes: DataSizes { train: 64 * 64 + 75 * 50, test: 56 * 37 },
        train_data: "every 8x8 block of the luma (Y = round(0.299R + 0.587G + 0.114B), /256) of astronaut.png, \
                     then of coffee.png, raster order",
        test_data: "every whole 8x8 block of the luma of chelsea.png, raster order",
        reference: reference::jpeg,
        n_out: 64,
    },
    ParrotProgram {
        name: "kmeans",
        function: "kmeans",
        source: include_str!("../../programs/kmeans.c"),
        signature: "float kmeans(float r, float g, float b, float cr, float cg, float cb)",
        domain: &[UNIT; 6],
        hidden: &[8, 4],
        metric: Metric::ImageDifference,
        parrot_percent: 6.18,
        sizes: DataSizes { train: 50_000, test: TEST_CROP.0 * TEST_CROP.1 },
        train_data: "(pixel, centroid) ~ U[0, 1)^6",
        test_data: "the pixels (RGB / 256) of the centred 220x200 crop of coffee.png, raster order, each with a \
                    centroid ~ U[0, 1)^3",
        reference: reference::kmeans,
        n_out: 1,
    },
    ParrotProgram {
        name: "sobel",
        function: "sobel",
        source: include_str!("../../programs/sobel.c"),
        signature: "float sobel(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7, \
                    float p8)",
        domain: &[PIXEL; 9],
        hidden: &[8],
        metric: Metric::ImageDifference,
        parrot_percent: 3.44,
        sizes: DataSizes { train: 512 * 512, test: TEST_CROP.0 * TEST_CROP.1 },
        train_data: "the 3x3 window around every pixel of astronaut.png's luminance (0.30R + 0.59G + 0.11B) / 256, \
                     edges replicated, raster order",
        test_data: "the 3x3 window around every pixel of the centred 220x200 crop of chelsea.png, edges replicated, \
                    raster order",
        reference: reference::sobel,
        n_out: 1,
    },
];

/// The six ParrotBench programs: fft, inversek2j, jmeint, jpeg, kmeans, sobel.
pub fn programs() -> &'static [ParrotProgram] {
    &PROGRAMS
}

/// The program named `name`; the error lists the valid names.
pub fn find(name: &str) -> Result<&'static ParrotProgram, ParrotError> {
    PROGRAMS.iter().find(|p| p.name == name).ok_or_else(|| ParrotError::UnknownProgram {
        name: name.to_owned(),
        valid: PROGRAMS.iter().map(|p| p.name).collect::<Vec<_>>().join(", "),
    })
}

/// One output of a ParrotBench program as a C function of its own, on the parent's inputs. The
/// paper's CompNet emits single-output surrogates, so its ParrotBenchCPN set splits fft and
/// inversek2j into one function per output (and leaves jmeint and jpeg out, over 512 tokens):
/// [`PAPER_SET`].
#[derive(Debug)]
pub struct OutputSplit {
    /// Name, also the C function's.
    pub name: &'static str,
    /// The program it is one output of.
    pub parent: &'static str,
    /// Which of the parent's outputs (in signature order).
    pub output: usize,
    /// The C source (C11 + libm), defining exactly [`OutputSplit::signature`].
    pub source: &'static str,
    /// The function's C declaration.
    pub signature: &'static str,
}

static SPLITS: [OutputSplit; 4] = [
    OutputSplit {
        name: "fft_sin",
        parent: "fft",
        output: 0,
        source: include_str!("../../programs/fft_sin.c"),
        signature: "float fft_sin(float x)",
    },
    OutputSplit {
        name: "fft_cos",
        parent: "fft",
        output: 1,
        source: include_str!("../../programs/fft_cos.c"),
        signature: "float fft_cos(float x)",
    },
    OutputSplit {
        name: "inversek2j_theta1",
        parent: "inversek2j",
        output: 0,
        source: include_str!("../../programs/inversek2j_theta1.c"),
        signature: "float inversek2j_theta1(float x, float y)",
    },
    OutputSplit {
        name: "inversek2j_theta2",
        parent: "inversek2j",
        output: 1,
        source: include_str!("../../programs/inversek2j_theta2.c"),
        signature: "float inversek2j_theta2(float x, float y)",
    },
];

/// The paper's ParrotBenchCPN set: fft and inversek2j split by output, kmeans, sobel.
pub const PAPER_SET: [&str; 6] = ["fft_sin", "fft_cos", "inversek2j_theta1", "inversek2j_theta2", "kmeans", "sobel"];

/// The four single-output splits of fft and inversek2j.
pub fn splits() -> &'static [OutputSplit] {
    &SPLITS
}

/// The split named `name`, if any.
pub fn find_split(name: &str) -> Option<&'static OutputSplit> {
    SPLITS.iter().find(|s| s.name == name)
}

impl OutputSplit {
    /// The program it is one output of.
    pub fn parent(&self) -> &'static ParrotProgram {
        find(self.parent).expect("every split's parent is in the table")
    }
    /// The parsed C signature.
    pub fn parsed_signature(&self) -> Result<Signature, ParrotError> {
        Signature::parse(self.signature).map_err(|source| ParrotError::Signature { program: self.name, source })
    }
    /// The parent's pairs with only this output.
    pub fn pairs(&self, parent: &crate::io_pairs::IoPairs) -> crate::io_pairs::IoPairs {
        parent.output_column(self.output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_names_the_valid_programs() {
        assert_eq!(find("sobel").unwrap().function, "sobel");
        let e = find("fft2").unwrap_err().to_string();
        assert!(e.contains("fft2") && e.contains("fft, inversek2j, jmeint, jpeg, kmeans, sobel"), "{e}");
    }

    #[test]
    fn splits_are_single_outputs_of_their_parents() {
        for s in splits() {
            let parent = s.parent();
            assert!(s.output < parent.n_out(), "{}", s.name);
            let sig = s.parsed_signature().unwrap();
            assert_eq!((sig.n_in(), sig.n_out()), (parent.n_in(), 1), "{}", s.name);
            assert_eq!(find_split(s.name).map(|f| f.parent), Some(s.parent));
        }
        for name in PAPER_SET {
            assert!(find_split(name).is_some() || find(name).is_ok(), "{name}");
        }
        assert!(find_split("fft").is_none());
    }

    #[test]
    fn table_is_consistent() {
        for p in programs() {
            assert!(p.domain.iter().all(|(lo, hi)| lo < hi), "{}", p.name);
            let mut out = vec![f32::NAN; p.n_out()];
            let x: Vec<f32> = p.domain.iter().map(|(lo, hi)| 0.5 * (lo + hi)).collect();
            (p.reference)(&x, &mut out);
            assert!(out.iter().all(|v| v.is_finite()), "{}: {out:?}", p.name);
        }
    }
}
