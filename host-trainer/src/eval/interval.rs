//! How far an improvement moves with the trials: a paired bootstrap over each program's trials.
//!
//! An improvement is a geometric mean over programs of `RND mean ÷ method mean`, each mean over
//! nine trials that differ in their data subset and random draws. Nine trials are few, and the
//! screens of docs/compnet.md moved by up to 30 % with the trials' seed. The interval here says
//! how much of a figure is the trials: programs stay fixed (the benchmark is the set it is),
//! and each resample draws every program's trials again, with replacement. The draw is *paired*:
//! trial `t` of every method finetuned on the same pairs, so one draw of trial indices serves the
//! method and RND alike, and a subset that is hard for both moves both.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::protocol::improvement;

/// Resamples per interval.
pub const RESAMPLES: usize = 2000;

/// The interval's coverage: the 5th and 95th percentiles of the resampled improvements.
pub const COVERAGE: f64 = 0.90;

/// The `COVERAGE` interval of the improvement of `method` over `rnd`, each `[program][trial]`
/// test losses with trial `t` of both on the same data. `None` when a program has no trials or
/// the two have different trial counts for it (not paired). Seeded: the same losses give the
/// same interval.
pub fn improvement_interval(rnd: &[Vec<f64>], method: &[Vec<f64>]) -> Option<(f64, f64)> {
    if rnd.is_empty()
        || rnd.len() != method.len()
        || rnd.iter().zip(method).any(|(r, m)| r.is_empty() || r.len() != m.len())
    {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0x1b00_757a);
    let mut drawn: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let (mut r_means, mut m_means) = (Vec::with_capacity(rnd.len()), Vec::with_capacity(rnd.len()));
            for (r, m) in rnd.iter().zip(method) {
                let n = r.len();
                let (mut rs, mut ms) = (0.0, 0.0);
                for _ in 0..n {
                    let t = rng.random_range(0..n);
                    rs += r[t];
                    ms += m[t];
                }
                r_means.push(rs / n as f64);
                m_means.push(ms / n as f64);
            }
            improvement(&r_means, &m_means)
        })
        .collect();
    drawn.sort_by(f64::total_cmp);
    let at = |q: f64| drawn[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    let tail = (1.0 - COVERAGE) / 2.0;
    Some((at(tail), at(1.0 - tail)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trials that agree give a point; the interval holds the figure and widens with the
    /// trials' spread; a trial shared by both methods moves both (paired); unpaired input is
    /// refused.
    #[test]
    fn the_interval_holds_the_figure_and_follows_the_spread() {
        // Every trial the same: every resample is the figure itself.
        let same = improvement_interval(&[vec![2.0; 9], vec![4.0; 9]], &[vec![1.0; 9], vec![1.0; 9]]).unwrap();
        let figure = (2.0f64 * 4.0).sqrt();
        assert!((same.0 - figure).abs() < 1e-12 && (same.1 - figure).abs() < 1e-12);

        // Spread trials: the interval contains the figure of the means, and a wider spread gives
        // a wider interval.
        let spread = |k: f64| -> Vec<Vec<f64>> {
            vec![
                (0..9).map(|t| 1.0 + k * (t as f64 - 4.0) / 4.0).collect(),
                (0..9).map(|t| 2.0 + k * ((t * 5 % 9) as f64 - 4.0) / 4.0).collect(),
            ]
        };
        let cpn = vec![vec![0.5; 9], vec![1.0; 9]];
        let (narrow, wide) =
            (improvement_interval(&spread(0.2), &cpn).unwrap(), improvement_interval(&spread(0.9), &cpn).unwrap());
        let means: Vec<f64> = spread(0.9).iter().map(|t| t.iter().sum::<f64>() / 9.0).collect();
        let mid = improvement(&means, &[0.5, 1.0]);
        assert!(wide.0 < mid && mid < wide.1, "{wide:?} around {mid}");
        assert!(wide.1 - wide.0 > 2.0 * (narrow.1 - narrow.0), "{wide:?} against {narrow:?}");

        // Paired: when a trial is hard for both methods alike (RND and the method in a fixed
        // ratio, trial by trial), every resample gives that ratio.
        let rnd: Vec<Vec<f64>> = vec![(1..=9).map(|t| t as f64).collect()];
        let method: Vec<Vec<f64>> = vec![rnd[0].iter().map(|v| v / 3.0).collect()];
        let paired = improvement_interval(&rnd, &method).unwrap();
        assert!((paired.0 - 3.0).abs() < 1e-9 && (paired.1 - 3.0).abs() < 1e-9, "{paired:?}");

        assert_eq!(improvement_interval(&[vec![1.0; 9]], &[vec![1.0; 8]]), None);
        assert_eq!(improvement_interval(&[vec![]], &[vec![]]), None);
        assert_eq!(improvement_interval(&[], &[]), None);
    }
}
