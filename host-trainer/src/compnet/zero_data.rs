//! The 0 % data comparison: a compiled surrogate (CPN) against random initialisations (RND)
//! of the same covering shape, on each program's test pairs, with no training at all.

use burn::tensor::{Device, Tensor, TensorData};

use super::network::{CompNet, masked_mse_per_program, run_covering};
use super::programs::ProgramSet;
use super::train::evaluate;
use crate::fit::constant_mse;

/// One program's test MSE at 0 % data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ZeroDataRow {
    /// Program name.
    pub name: String,
    /// Real inputs / outputs.
    pub n_in: usize,
    /// Real outputs.
    pub n_out: usize,
    /// Test MSE of the CompNet-generated surrogate.
    pub cpn_mse: f64,
    /// Mean test MSE of `trials` random initialisations.
    pub rnd_mse: f64,
    /// The best constant's test MSE (each real output's mean over these test pairs): a yardstick
    /// fitted on the answers, below which a surrogate computes something of the function.
    pub constant_mse: f64,
}

impl ZeroDataRow {
    /// RND ÷ CPN: how many times lower the compiled surrogate's error is.
    pub fn improvement(&self) -> f64 {
        self.rnd_mse / self.cpn_mse
    }
}

/// Aggregates over programs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ZeroDataSummary {
    /// Programs compared.
    pub programs: usize,
    /// Geometric mean over programs of RND ÷ CPN (the paper's aggregate).
    pub geometric_mean_improvement: f64,
    /// Mean RND MSE ÷ mean CPN MSE.
    pub ratio_of_means: f64,
    /// Programs where CPN is better than RND.
    pub cpn_better: usize,
    /// Programs where CPN is better than the best constant.
    pub cpn_beats_constant: usize,
    /// Mean CPN MSE.
    pub mean_cpn_mse: f64,
    /// Mean RND MSE.
    pub mean_rnd_mse: f64,
}

/// Compares CPN with `trials` random initialisations on every program of `set`.
pub fn compare(
    net: &CompNet,
    set: &ProgramSet,
    device: &Device,
    trials: usize,
    seed: u64,
) -> anyhow::Result<Vec<ZeroDataRow>> {
    let cpn = evaluate(net, set, device, 64)?;
    let covering = net.covering();
    let n_params = covering.n_params();
    let n = set.len();
    let x = Tensor::<3>::from_data(TensorData::new(set.inputs.clone(), [n, set.pairs, set.n_in]), device);
    let y = Tensor::<3>::from_data(TensorData::new(set.outputs.clone(), [n, set.pairs, set.n_out]), device);
    let mask = Tensor::<3>::from_data(TensorData::new(set.mask.clone(), [n, 1, set.n_out]), device);
    let mut rnd = vec![0.0f64; n];
    for t in 0..trials.max(1) {
        let params: Vec<f32> = (0..n)
            .flat_map(|p| covering.random_params(seed ^ ((t * n + p) as u64).wrapping_mul(0x2545_f491)))
            .collect();
        let params = Tensor::<2>::from_data(TensorData::new(params, [n, n_params]), device);
        let mse: Vec<f32> = masked_mse_per_program(run_covering(covering, params, x.clone()), y.clone(), mask.clone())
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("reading RND losses: {e:?}"))?;
        for (r, m) in rnd.iter_mut().zip(mse) {
            *r += m as f64 / trials.max(1) as f64;
        }
    }
    Ok(set
        .programs
        .iter()
        .enumerate()
        .zip(cpn.into_iter().zip(rnd))
        .map(|((k, p), (cpn_mse, rnd_mse))| ZeroDataRow {
            name: p.name.clone(),
            n_in: p.n_in,
            n_out: p.n_out,
            cpn_mse,
            rnd_mse,
            constant_mse: constant_mse(&set.real_outputs(k), p.n_out),
        })
        .collect())
}

/// The aggregates of `rows`.
pub fn summarize(rows: &[ZeroDataRow]) -> ZeroDataSummary {
    let n = rows.len().max(1) as f64;
    // A perfect (0) CPN error would make the ratio infinite; floor both at 1e-12.
    let log_sum: f64 = rows.iter().map(|r| (r.rnd_mse.max(1e-12) / r.cpn_mse.max(1e-12)).ln()).sum();
    let mean_cpn_mse = rows.iter().map(|r| r.cpn_mse).sum::<f64>() / n;
    let mean_rnd_mse = rows.iter().map(|r| r.rnd_mse).sum::<f64>() / n;
    ZeroDataSummary {
        programs: rows.len(),
        geometric_mean_improvement: (log_sum / n).exp(),
        ratio_of_means: mean_rnd_mse / mean_cpn_mse,
        cpn_better: rows.iter().filter(|r| r.cpn_mse < r.rnd_mse).count(),
        cpn_beats_constant: rows.iter().filter(|r| r.cpn_mse < r.constant_mse).count(),
        mean_cpn_mse,
        mean_rnd_mse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_mean_of_ratios() {
        let row = |c: f64, r: f64| ZeroDataRow {
            name: "p".into(),
            n_in: 1,
            n_out: 1,
            cpn_mse: c,
            rnd_mse: r,
            constant_mse: 1.5,
        };
        let s = summarize(&[row(1.0, 4.0), row(2.0, 2.0), row(1.0, 0.25)]);
        assert_eq!(s.cpn_beats_constant, 2);
        assert!((s.geometric_mean_improvement - 1.0).abs() < 1e-12); // (4 · 1 · 0.25)^(1/3)
        assert!((s.ratio_of_means - (6.25 / 3.0) / (4.0 / 3.0)).abs() < 1e-12);
        assert_eq!(s.cpn_better, 1);
    }
}
