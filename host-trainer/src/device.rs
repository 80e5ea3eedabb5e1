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
