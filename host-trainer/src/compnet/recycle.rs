//! Dormant units of a compiled surrogate, recycled before finetuning.
//!
//! A trained CompNet writes sparse surrogates: a few hidden units carry the compiled function and
//! the rest are parked (a bias near −3, weights near 0), contributing a near-constant. Finetuning
//! from such a start fits what the few live units can and then sits on a plateau: a parked
//! unit's gradient is its tiny outgoing weights times its tiny slope. Its 4-unit start reached
//! fft_sin's one-unit fit (test MSE 0.093) in 95 epochs and stayed there for the remaining 4,905
//! in one of nine trials at 1 % data.
//!
//! [`recycle_dormant`] gives those units back, as ReDo does for reinforcement-learning networks
//! (Sokar et al., ICML 2023): a unit whose contribution to the next layer (the spread of its
//! activation on the inputs, times its largest outgoing weight) is below `threshold` × its
//! layer's mean gets fresh incoming weights (the covering's Xavier draw, bias 0) and zero
//! outgoing weights, and the next layer's biases absorb the constant it used to add. The
//! surrogate's outputs are unchanged to within the dormant units' spread, and every recycled
//! unit now varies with the input, so the first gradient step can recruit it.
//!
//! [`spread_live`] gives them a share of the compiled function instead (Net2Net's widening):
//! each dormant unit becomes a noisy copy of a live one and the copies split its outgoing
//! weights. Fresh units overfit a few pairs; a function spread over every unit bends to them
//! (fft_sin on 26 pairs), which is why `compnet eval --spread` finetunes it as a third start.

use compnet_runtime::Activation;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::CoveringShape;
use super::covering::{LayerSlots, uniform_with_std};

/// What [`recycle_dormant`] did: units recycled per hidden layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recycled {
    /// `[hidden layer]` recycled units.
    pub per_layer: Vec<usize>,
}

/// Recycles the dormant hidden units of `params` (the covering's flat layout), judged on the
/// inputs `x` (rows of `covering.n_in`, already normalised and padded). Fresh incoming weights
/// are drawn from `seed`. `threshold` is relative to the layer's mean contribution (ReDo uses
/// 0.025–0.1); 0 recycles nothing.
pub fn recycle_dormant(
    covering: &CoveringShape,
    params: &mut [f32],
    x: &[f32],
    threshold: f32,
    seed: u64,
) -> anyhow::Result<Recycled> {
    let dormant = park_dormant(covering, params, x, threshold)?;
    // … and they get fresh incoming weights (from every unit of the layer before: a recycled unit
    // feeds only recycled units, which pass nothing on yet, so the outputs stay as they were).
    let (layers, std) = (covering.layers(), covering.init_std());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (l, units) in dormant.iter().enumerate() {
        fresh_incoming(layers[l], &std, units, params, &mut rng);
    }
    let per_layer = dormant.iter().map(Vec::len).collect();
    Ok(Recycled { per_layer })
}

/// Xavier-drawn incoming weights (`std`: [`CoveringShape::init_std`]) and a zero bias for `units`
/// of the layer `this`.
fn fresh_incoming(this: LayerSlots, std: &[f32], units: &[usize], params: &mut [f32], rng: &mut ChaCha8Rng) {
    for &j in units {
        for i in 0..this.n_in {
            let at = this.weights + i * this.n_out + j;
            params[at] = uniform_with_std(rng, std[at]);
        }
        params[this.biases + j] = 0.0;
    }
}

/// Like [`recycle_dormant`], but the dormant units become copies of the live ones (Net2Net's
/// widening, Chen et al., 2016): each live unit's role is shared by itself and the dormant units
/// given to it in turn, whose incoming weights copy its own (plus `noise` × the Xavier spread,
/// which breaks their symmetry) and whose outgoing weights are its own divided by the group's
/// size. The function is kept to within the noise; no unit is left with little weight, and each
/// carries a share of what the compiled surrogate computes.
pub fn spread_live(
    covering: &CoveringShape,
    params: &mut [f32],
    x: &[f32],
    threshold: f32,
    noise: f32,
    seed: u64,
) -> anyhow::Result<Recycled> {
    let layers = covering.layers();
    let dormant = park_dormant(covering, params, x, threshold)?;
    let std = covering.init_std();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (l, units) in dormant.iter().enumerate() {
        let (this, next) = (layers[l], layers[l + 1]);
        let live: Vec<usize> = (0..this.n_out).filter(|j| !units.contains(j)).collect();
        if live.is_empty() {
            // Nothing to share: fresh units, as recycling gives.
            fresh_incoming(this, &std, units, params, &mut rng);
            continue;
        }
        let mut groups: Vec<Vec<usize>> = live.iter().map(|&u| vec![u]).collect();
        for (k, &d) in units.iter().enumerate() {
            groups[k % live.len()].push(d);
        }
        for group in &groups {
            let u = group[0];
            let share = 1.0 / group.len() as f32;
            let outgoing: Vec<f32> =
                (0..next.n_out).map(|k| params[next.weights + u * next.n_out + k] * share).collect();
            for &j in group {
                if j != u {
                    for i in 0..this.n_in {
                        let at = this.weights + i * this.n_out;
                        params[at + j] = params[at + u] + noise * uniform_with_std(&mut rng, std[at + j]);
                    }
                    params[this.biases + j] = params[this.biases + u];
                }
                for (k, &w) in outgoing.iter().enumerate() {
                    params[next.weights + j * next.n_out + k] = w;
                }
            }
        }
    }
    let per_layer = dormant.iter().map(Vec::len).collect();
    Ok(Recycled { per_layer })
}

/// Judges every hidden unit of `params` on the inputs `x` (before any is changed), and parks the
/// dormant ones: their outgoing weights go to zero and the constant they added moves into the next
/// layer's biases. Returns `[hidden layer]` the dormant units.
fn park_dormant(
    covering: &CoveringShape,
    params: &mut [f32],
    x: &[f32],
    threshold: f32,
) -> anyhow::Result<Vec<Vec<usize>>> {
    anyhow::ensure!(
        params.len() == covering.n_params(),
        "{} parameters for a covering of {}",
        params.len(),
        covering.n_params()
    );
    let layers = covering.layers();
    let rows = x.len() / covering.n_in;
    anyhow::ensure!(rows > 0 && x.len() == rows * covering.n_in, "no input rows to judge dormant units on");
    let activation = covering.hidden_activation()?;
    let hidden = hidden_activations(covering, params, x, rows, activation);
    // Layer `l`'s units are the outputs of `layers[l]` and the inputs of `layers[l + 1]`; all
    // are judged on the compiled surrogate before any is changed.
    let mut dormant: Vec<Vec<usize>> = Vec::with_capacity(hidden.len());
    let mut means: Vec<Vec<f32>> = Vec::with_capacity(hidden.len());
    for (l, h) in hidden.iter().enumerate() {
        let (width, next) = (layers[l].n_out, layers[l + 1]);
        let (mean, spread) = column_stats(h, width);
        let score: Vec<f32> = (0..width)
            .map(|j| {
                let outgoing = (0..next.n_out).map(|k| params[next.weights + j * next.n_out + k].abs());
                spread[j] * outgoing.fold(0.0, f32::max)
            })
            .collect();
        let layer_mean = score.iter().sum::<f32>() / width as f32;
        dormant.push((0..width).filter(|&j| score[j] <= threshold * layer_mean).collect());
        means.push(mean);
    }
    // Their outgoing weights go, the constant they added moving into the next biases …
    for (l, units) in dormant.iter().enumerate() {
        let next = layers[l + 1];
        for &j in units {
            for k in 0..next.n_out {
                let at = next.weights + j * next.n_out + k;
                params[next.biases + k] += params[at] * means[l][j];
                params[at] = 0.0;
            }
        }
    }
    Ok(dormant)
}

/// `[hidden layer][row · width + unit]`: the hidden activations of the surrogate on `x`.
fn hidden_activations(
    covering: &CoveringShape,
    params: &[f32],
    x: &[f32],
    rows: usize,
    activation: Activation,
) -> Vec<Vec<f32>> {
    let layers = covering.layers();
    let mut input = x.to_vec();
    let mut out = Vec::with_capacity(covering.hidden.len());
    for slots in &layers[..layers.len() - 1] {
        let mut h = vec![0.0f32; rows * slots.n_out];
        for r in 0..rows {
            let row = &input[r * slots.n_in..][..slots.n_in];
            let z = &mut h[r * slots.n_out..][..slots.n_out];
            z.copy_from_slice(&params[slots.biases..slots.biases + slots.n_out]);
            for (i, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    let w = &params[slots.weights + i * slots.n_out..][..slots.n_out];
                    z.iter_mut().zip(w).for_each(|(z, w)| *z += v * w);
                }
            }
        }
        activation.apply_all(&mut h);
        input = h.clone();
        out.push(h);
    }
    out
}

/// Per-column mean and standard deviation of row-major `h`.
fn column_stats(h: &[f32], width: usize) -> (Vec<f32>, Vec<f32>) {
    let rows = (h.len() / width).max(1) as f32;
    let mut mean = vec![0.0f32; width];
    for row in h.chunks_exact(width) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= rows);
    let mut var = vec![0.0f32; width];
    for row in h.chunks_exact(width) {
        var.iter_mut().zip(row).zip(&mean).for_each(|((s, v), m)| *s += (v - m).powi(2));
    }
    (mean, var.into_iter().map(|s| (s / rows).sqrt()).collect())
}

#[cfg(test)]
mod tests {
    use compnet_runtime::Metadata;

    use super::*;

    /// 3 → 6 → 5 → 2, sigmoid: units 0 and 1 of each hidden layer live, the others parked as a
    /// trained CompNet writes them (bias −3, weights ±0.01).
    fn sparse() -> (CoveringShape, Vec<f32>) {
        let shape = CoveringShape { n_in: 3, hidden: vec![6, 5], n_out: 2, activation: "sigmoid".into() };
        let mut p = vec![0.0f32; shape.n_params()];
        for (k, l) in shape.layers().iter().enumerate() {
            let last = k == shape.hidden.len();
            for i in 0..l.n_in {
                for j in 0..l.n_out {
                    let live_from = i < 2 || k == 0;
                    let live_to = j < 2 || last;
                    let w = if live_from && live_to {
                        1.5 - (i + 2 * j) as f32 * 0.4
                    } else {
                        0.01 * (-1f32).powi((i + j) as i32)
                    };
                    p[l.weights + i * l.n_out + j] = w;
                }
                // Parked units of this layer pass a little on: `1e-2` outgoing weights.
            }
            for j in 0..l.n_out {
                p[l.biases + j] = if j < 2 || last { 0.2 * j as f32 - 0.1 } else { -3.0 };
            }
        }
        (shape, p)
    }

    fn inputs(n: usize) -> Vec<f32> {
        (0..n * 3).map(|k| ((k * 7919 % 1000) as f32 / 500.0) - 1.0).collect()
    }

    /// The surrogate's outputs on `x`, through the runtime's own forward pass (an independent
    /// implementation of the covering MLP).
    fn outputs(shape: &CoveringShape, p: &[f32], x: &[f32]) -> Vec<f32> {
        let s = shape.surrogate(p, Metadata::named("t"), &[(-1.0, 1.0); 3], 2).unwrap();
        x.chunks(3).flat_map(|row| s.eval_batch(row).unwrap()).collect()
    }

    #[test]
    fn parked_units_are_recycled_and_the_function_is_kept() {
        let (shape, before) = sparse();
        let x = inputs(256);
        let mut after = before.clone();
        let done = recycle_dormant(&shape, &mut after, &x, 0.1, 7).unwrap();
        assert_eq!(done.per_layer, [4, 3], "the parked units, and only they");
        let (y0, y1) = (outputs(&shape, &before, &x), outputs(&shape, &after, &x));
        let worst = y0.iter().zip(&y1).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        // A parked unit varies by ~1e-4 over the inputs and passes on 1e-2 of it.
        assert!(worst < 1e-4, "outputs moved by {worst}");
        let layers = shape.layers();
        let was = hidden_activations(&shape, &before, &x, 256, Activation::Sigmoid);
        let hidden = hidden_activations(&shape, &after, &x, 256, Activation::Sigmoid);
        for (l, h) in hidden.iter().enumerate() {
            let (this, next) = (layers[l], layers[l + 1]);
            let (_, spread) = column_stats(h, this.n_out);
            let (_, spread_was) = column_stats(&was[l], this.n_out);
            for j in 2..this.n_out {
                // Fresh: the unit now varies with the input, and passes nothing on yet.
                assert!(
                    spread[j] > 20.0 * spread_was[j],
                    "layer {l} unit {j} spread {} (was {})",
                    spread[j],
                    spread_was[j]
                );
                assert_eq!(after[this.biases + j], 0.0);
                // Nothing to a live unit or an output; recycled units of the next layer, which
                // pass nothing on themselves, get fresh weights from it.
                let live_next = if l + 1 == shape.hidden.len() { 0..next.n_out } else { 0..2 };
                assert!(live_next.clone().all(|k| after[next.weights + j * next.n_out + k] == 0.0));
                if l + 1 < shape.hidden.len() {
                    assert!((2..next.n_out).all(|k| after[next.weights + j * next.n_out + k] != 0.0));
                }
            }
            // Live units keep their incoming weights from live units; their biases take in the
            // constant the layer before's recycled units added (weight × mean activation < 1).
            for j in 0..2 {
                let from_recycled: f32 = if l == 0 {
                    0.0
                } else {
                    (2..this.n_in).map(|i| before[this.weights + i * this.n_out + j].abs()).sum()
                };
                let moved = (after[this.biases + j] - before[this.biases + j]).abs();
                assert!(moved <= from_recycled, "layer {l} unit {j}: bias moved by {moved}");
                for i in 0..this.n_in {
                    let at = this.weights + i * this.n_out + j;
                    if l == 0 || i < 2 {
                        assert_eq!(after[at], before[at], "layer {l} weight {i}→{j}");
                    }
                }
            }
        }
        // Seeded: the same draw again, another seed another draw.
        let mut again = before.clone();
        recycle_dormant(&shape, &mut again, &x, 0.1, 7).unwrap();
        assert_eq!(again, after);
        let mut other = before.clone();
        recycle_dormant(&shape, &mut other, &x, 0.1, 8).unwrap();
        assert_ne!(other, after);
    }

    #[test]
    fn spreading_shares_the_live_units_and_keeps_the_function() {
        let (shape, before) = sparse();
        let x = inputs(256);
        let mut after = before.clone();
        let done = spread_live(&shape, &mut after, &x, 0.1, 0.0, 7).unwrap();
        assert_eq!(done.per_layer, [4, 3], "the parked units, and only they");
        // Without noise the copies are exact: the outputs are the compiled surrogate's, through
        // the runtime's forward pass.
        let (y0, y1) = (outputs(&shape, &before, &x), outputs(&shape, &after, &x));
        let worst = y0.iter().zip(&y1).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-4, "outputs moved by {worst}");
        let layers = shape.layers();
        for (l, this) in layers[..shape.hidden.len()].iter().enumerate() {
            let next = layers[l + 1];
            // Every unit now passes something on: parked unit j copies live unit j % 2.
            for j in 2..this.n_out {
                let u = j % 2;
                for i in 0..this.n_in {
                    assert_eq!(after[this.weights + i * this.n_out + j], after[this.weights + i * this.n_out + u]);
                }
                for k in 0..next.n_out {
                    assert_eq!(after[next.weights + j * next.n_out + k], after[next.weights + u * next.n_out + k]);
                    assert!(
                        after[next.weights + j * next.n_out + k] != 0.0
                            || before[next.weights + u * next.n_out + k] == 0.0
                    );
                }
            }
        }
        // With noise the copies differ, and the function moves by little.
        let mut noisy = before.clone();
        spread_live(&shape, &mut noisy, &x, 0.1, 0.1, 7).unwrap();
        assert_ne!(noisy, after);
        let y2 = outputs(&shape, &noisy, &x);
        let moved = y0.iter().zip(&y2).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        let range = y0.iter().fold(f32::MIN, |m, &v| m.max(v)) - y0.iter().fold(f32::MAX, |m, &v| m.min(v));
        assert!(moved < 0.05 * range, "outputs moved by {moved} of a range {range}");
    }

    #[test]
    fn threshold_zero_keeps_everything_and_bad_input_is_refused() {
        let (shape, before) = sparse();
        let mut p = before.clone();
        assert_eq!(recycle_dormant(&shape, &mut p, &inputs(16), 0.0, 1).unwrap().per_layer, [0, 0]);
        assert_eq!(p, before);
        assert!(recycle_dormant(&shape, &mut p[1..].to_vec(), &inputs(16), 0.1, 1).is_err());
        assert!(recycle_dormant(&shape, &mut p, &[], 0.1, 1).is_err());
        assert!(recycle_dormant(&shape, &mut p, &[0.5; 4], 0.1, 1).is_err());
    }
}
