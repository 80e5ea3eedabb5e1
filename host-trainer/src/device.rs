//! The `--device` flag: one code path for CPU and GPU, the device chosen at run time.

use burn::tensor::Device;

/// Parses `cpu` (burn's Flex backend) or `cuda[:N]` (needs the `cuda` feature).
pub fn parse(spec: &str) -> anyhow::Result<Device> {
    match spec {
        "cpu" | "flex" => Ok(Device::flex()),
        s if s == "cuda" || s.starts_with("cuda:") => cuda(s.strip_prefix("cuda:").unwrap_or("0")),
        other => anyhow::bail!("unknown device {other:?}: use cpu, cuda or cuda:N"),
    }
}

#[cfg(feature = "cuda")]
fn cuda(index: &str) -> anyhow::Result<Device> {
    let i: usize = index.parse().map_err(|_| anyhow::anyhow!("bad CUDA device index {index:?}"))?;
    Ok(Device::cuda(i))
}

#[cfg(not(feature = "cuda"))]
fn cuda(_index: &str) -> anyhow::Result<Device> {
    anyhow::bail!(
        "this compnet was built without CUDA; rebuild with `--features cuda` (see ../shared/GPU.md notes in README)"
    )
}

/// The crates of the GPU runtime (cubecl's compiler and server, its kernels, the CUDA driver
/// bindings), as they appear in a panic's source path.
const RUNTIME_CRATES: [&str; 4] = ["/cubecl-", "/cubek-", "/burn-cubecl-", "/cudarc-"];

/// Whether a panic at `file` happened inside the GPU runtime.
pub fn in_runtime(file: &str) -> bool {
    RUNTIME_CRATES.iter().any(|c| file.contains(c))
}

/// Makes a panic inside the GPU runtime stop the process with exit status 70.
///
/// The runtime runs kernels on its own thread; a panic there (seen: cubecl-cuda's "Should be
/// cached now" when a kernel cache from another build was rekeyed by parts running side by side)
/// kills that thread only, the launches it should have run never run, and the command went on
/// reading whatever the buffers held: a finetuning test loss of 1e-36 in a report with exit
/// status 0. Nothing computed after such a panic can be trusted, so the process stops. Panics
/// elsewhere keep the default behaviour (the harness catches its own).
pub fn stop_on_runtime_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        if let Some(at) = info.location().filter(|l| in_runtime(l.file())) {
            let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
            eprintln!(
                "error: the GPU runtime panicked at {}:{} (thread {thread}); nothing it computes \
                 after this can be trusted, so compnet stops here. A kernel-cache message points at a \
                 cache from another build or one shared by processes side by side (ci/gpu-job.sh).",
                at.file(),
                at.line()
            );
            std::process::exit(70);
        }
    }));
}

/// How exactly a device multiplies matrices of one shape: its batched product against an f64
/// product of the same f32 operands, computed on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct MatmulPrecision {
    /// `[batch, m, k] × [batch, k, n]`.
    pub shape: [usize; 4],
    /// The largest error of an element, relative to `Σ_k |a_ik b_kj|` (the scale of its rounding
    /// errors): at most about 2^-24·k for f32 arithmetic, 2^-11 for operands read as TF32 (10
    /// mantissa bits), 2^-8 for bf16.
    pub max_relative: f64,
    /// The mean of the same ratio over the elements.
    pub mean_relative: f64,
}

impl MatmulPrecision {
    /// The mantissa bits the worst element kept, `-log2(max_relative)` (f32 has 23 + 1).
    pub fn bits(&self) -> f64 {
        -self.max_relative.max(f64::MIN_POSITIVE).log2()
    }

    /// Whether the product is below f32's accuracy, by the mean ratio: over 2^-20. f32 arithmetic
    /// gives 0.9e-8 to 1.8e-8 at every depth measured (18 to 2,048 terms, this machine's CPU); an H200
    /// gave 6e-6 to 7e-5, also where the worst element of a 2,048-term sum kept 15 bits (its
    /// rounding errors partly cancel), so the worst element alone does not tell the two apart.
    pub fn reduced(&self) -> bool {
        self.mean_relative > 2f64.powi(-20)
    }
}

/// Multiplies seeded operands uniform on [−1, 1] of `shape` (`[batch, m, k, n]`) on `device` and
/// measures the product against f64 arithmetic on the host.
pub fn matmul_precision(device: &Device, shape: [usize; 4], seed: u64) -> anyhow::Result<MatmulPrecision> {
    use burn::tensor::{Tensor, TensorData};
    use rand::{Rng, SeedableRng};
    let [batch, m, k, n] = shape;
    anyhow::ensure!(shape.iter().all(|&d| d > 0), "matmul shape {shape:?} has a zero dimension");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let a: Vec<f32> = (0..batch * m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
    let b: Vec<f32> = (0..batch * k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let ta = Tensor::<3>::from_data(TensorData::new(a.clone(), [batch, m, k]), device);
    let tb = Tensor::<3>::from_data(TensorData::new(b.clone(), [batch, k, n]), device);
    let c: Vec<f32> = ta
        .matmul(tb)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading the {shape:?} product back: {e:?}"))?;
    measure(&a, &b, &c, shape)
}

/// The errors of `c` (f32, as a device gave it) against the f64 product of `a` and `b`.
fn measure(a: &[f32], b: &[f32], c: &[f32], shape: [usize; 4]) -> anyhow::Result<MatmulPrecision> {
    let [batch, m, k, n] = shape;
    let (mut max_relative, mut sum) = (0.0f64, 0.0f64);
    for s in 0..batch {
        for i in 0..m {
            for j in 0..n {
                let (mut exact, mut scale) = (0.0f64, 0.0f64);
                for l in 0..k {
                    let p = a[(s * m + i) * k + l] as f64 * b[(s * k + l) * n + j] as f64;
                    exact += p;
                    scale += p.abs();
                }
                let got = c[(s * m + i) * n + j] as f64;
                anyhow::ensure!(got.is_finite(), "the {shape:?} product has a non-finite element ({got})");
                let r = (got - exact).abs() / scale.max(f64::MIN_POSITIVE);
                max_relative = max_relative.max(r);
                sum += r;
            }
        }
    }
    Ok(MatmulPrecision { shape, max_relative, mean_relative: sum / (batch * m * n) as f64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_panics_are_told_by_their_crate() {
        let seen =
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cubecl-cuda-0.11.3/src/compute/context.rs";
        assert!(in_runtime(seen));
        assert!(in_runtime("/r/src/index/cubek-matmul-0.3.1/src/lib.rs"));
        assert!(!in_runtime("datasets/src/harness/mod.rs"));
        assert!(!in_runtime("/r/src/index/burn-tensor-0.22.1/src/tensor/api/base.rs"));
    }

    #[test]
    fn the_cpu_multiplies_in_f32() {
        // Finetuning's forward product and its weight gradient's (k = pairs).
        for shape in [[4, 256, 18, 32], [2, 18, 1024, 32]] {
            let p = matmul_precision(&parse("cpu").unwrap(), shape, 7).unwrap();
            assert!(!p.reduced(), "{p:?}");
            assert!(p.bits() > 18.0, "{p:?}: {} bits", p.bits());
            assert!(p.mean_relative <= p.max_relative && p.mean_relative > 0.0, "{p:?}");
        }
    }

    /// `x` rounded to TF32's 10 mantissa bits, to nearest, ties to even.
    fn tf32(x: f32) -> f32 {
        let bits = x.to_bits();
        let rounded = bits + 0xfff + ((bits >> 13) & 1);
        f32::from_bits(rounded & !0x1fff)
    }

    #[test]
    fn tf32_operands_read_as_reduced() {
        use rand::{Rng, SeedableRng};
        assert_eq!(tf32(1.0 + 2f32.powi(-11)), 1.0); // halfway, to even
        assert_eq!(tf32(1.0 + 3.0 * 2f32.powi(-11)), 1.0 + 2.0 * 2f32.powi(-10));
        let shape = [2, 64, 18, 32];
        let [batch, m, k, n] = shape;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let a: Vec<f32> = (0..batch * m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let b: Vec<f32> = (0..batch * k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        // A TF32 tensor core: operands rounded, products summed in f32.
        let mut c = vec![0f32; batch * m * n];
        for s in 0..batch {
            for i in 0..m {
                for j in 0..n {
                    c[(s * m + i) * n + j] =
                        (0..k).map(|l| tf32(a[(s * m + i) * k + l]) * tf32(b[(s * k + l) * n + j])).sum();
                }
            }
        }
        let p = measure(&a, &b, &c, shape).unwrap();
        assert!(p.reduced(), "{p:?}");
        assert!((9.0..13.0).contains(&p.bits()), "{p:?}: {} bits", p.bits());
        // An H200's weight-gradient product (2,048 terms), 2026-12-05: its worst element kept 15
        // bits, far from TF32's 11 and f32's 22; its mean tells.
        let h200 = MatmulPrecision { shape: [64, 18, 2048, 32], max_relative: 3.11e-5, mean_relative: 6.17e-6 };
        assert!(h200.reduced());
    }
}
