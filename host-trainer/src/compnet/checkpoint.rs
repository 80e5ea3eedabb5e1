//! CompNet checkpoints: a folder with `compnet.json` (the config) and `weights.bpk` (burnpack),
//! plus, for a training checkpoint, `optimizer.bpk` and `state.json`.
//!
//! A folder is replaced as a whole: it is written under `NAME.tmp`, the old one is moved to
//! `NAME.old`, the new one renamed into place, then the old one removed. A kill at any moment
//! leaves either `NAME` or `NAME.old` complete, and [`resolve`] finds it.

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;

use super::network::{CompNet, CompNetConfig};
use crate::artifacts;

/// The config file of a checkpoint folder.
pub const CONFIG_FILE: &str = "compnet.json";
/// The weights file of a checkpoint folder.
pub const WEIGHTS_FILE: &str = "weights.bpk";

/// Replaces the folder `dir` by what `fill` writes into a fresh folder, atomically (see module docs).
pub fn replace_dir(dir: &Path, fill: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let tmp = sibling(dir, "tmp");
    let old = sibling(dir, "old");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove stale {}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    fill(&tmp)?;
    if dir.exists() {
        if old.exists() {
            std::fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))?;
        }
        std::fs::rename(dir, &old).with_context(|| format!("cannot move {} aside", dir.display()))?;
    }
    std::fs::rename(&tmp, dir).with_context(|| format!("cannot move {} into place", tmp.display()))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(())
}

/// The complete folder standing for `dir`: `dir` itself, or `dir.old` when a kill interrupted
/// a replacement between its two renames.
pub fn resolve(dir: &Path) -> Option<PathBuf> {
    [dir.to_path_buf(), sibling(dir, "old")].into_iter().find(|d| d.join(CONFIG_FILE).is_file())
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "checkpoint".into());
    dir.with_file_name(format!("{name}.{suffix}"))
}

/// Writes `net` and its config into the folder `dir` (which exists).
pub fn write_model(dir: &Path, net: &CompNet, config: &CompNetConfig) -> anyhow::Result<()> {
    artifacts::write_json(&dir.join(CONFIG_FILE), config)?;
    let path = dir.join(WEIGHTS_FILE);
    net.clone().into_record().save(&path).map_err(|e| anyhow::anyhow!("cannot write {}: {e:?}", path.display()))
}

/// Loads the CompNet in checkpoint folder `dir` onto `device`.
pub fn load_model(dir: &Path, device: &Device) -> anyhow::Result<(CompNet, CompNetConfig)> {
    let (found, config) = read_config(dir)?;
    let net = load_weights(&found, &config, device)?;
    Ok((net, config))
}

/// The weights of checkpoint folder `dir` in a network built from `config`, which may differ from
/// the checkpoint's own only in what training alone uses (dropout): a run that starts from
/// another run's CompNet (`compnet train --init`).
pub fn load_model_as(dir: &Path, config: &CompNetConfig, device: &Device) -> anyhow::Result<CompNet> {
    let (found, saved) = read_config(dir)?;
    let comparable = CompNetConfig { dropout: config.dropout, ..saved.clone() };
    ensure!(
        comparable == *config,
        "{} holds a different network than this run builds: {saved:?}, not {config:?} (the flags must \
         give the same widths, layers, heads, covering shape, token limit, literal-value channel, pooling, input reader and written-out sums)",
        found.join(CONFIG_FILE).display()
    );
    load_weights(&found, config, device)
}

fn read_config(dir: &Path) -> anyhow::Result<(PathBuf, CompNetConfig)> {
    let found = resolve(dir).with_context(|| {
        format!("no CompNet checkpoint in {} (expected {CONFIG_FILE} and {WEIGHTS_FILE})", dir.display())
    })?;
    let text = std::fs::read_to_string(found.join(CONFIG_FILE))
        .with_context(|| format!("cannot read {}", found.join(CONFIG_FILE).display()))?;
    let config: CompNetConfig = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a CompNet config", found.join(CONFIG_FILE).display()))?;
    Ok((found, config))
}

fn load_weights(found: &Path, config: &CompNetConfig, device: &Device) -> anyhow::Result<CompNet> {
    let path = found.join(WEIGHTS_FILE);
    let record = ModuleRecord::load(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e:?}", path.display()))?;
    ensure!(!record.is_empty(), "{} holds no tensors", path.display());
    let net = config.init(device, 0)?;
    net.try_load_record(record.validate(true))
        .map_err(|e| anyhow::anyhow!("{} does not fit {}: {e:?}", path.display(), CONFIG_FILE))
}
